package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// inside runs one of edge's benchmarks inside workerd (the test Worker) and prints what Go
// measured and what was measured from outside:
//
//   - Go's own figure: `-test.bench=bench -test.count=count` as the isolate reports it. Go's
//     benchmark clock is the isolate's performance.now(), which workerd may hold still between
//     I/O events (its timing side-channel mitigation): for a loop without I/O, the figure can be
//     meaningless.
//
//   - A figure that does not trust the isolate's clock: the benchmark run `reps` times with a
//     fixed n1 and n2 iterations (-test.benchtime=Nx), workerd's CPU time taken around each
//     run; (cpu(n2) − cpu(n1)) / (n2 − n1) is the CPU per iteration with the set-up and warm-up
//     (the same in both runs) taken out. Paired runs after one unmeasured run (the first
//     compiles the module), the median of the reps.
//
//     go run ./bench/edge -inside 'ServiceInIsolate/memory/runtime/GetUser$' -n1 2000 -n2 12000
func inside(ctx context.Context, bench string, count, n1, n2, reps int, out io.Writer) error {
	root, err := edgelocal.FindRoot(".")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "poolgate-bench-edge-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintln(os.Stderr, "building edge's tests ...")
	if err := buildEdgeTests(ctx, root, tmp); err != nil {
		return err
	}
	// Each run has a test Worker of its own: a third Go instance in one isolate has the test
	// Worker answer "Network connection lost" (each run instantiates the test binary anew).
	once := func(args ...string) (insideRun, error) {
		w, err := startTestWorker(ctx, root, tmp)
		if err != nil {
			return insideRun{}, err
		}
		defer w.Close()
		return runInside(ctx, w, args...)
	}
	args := func(benchtime string, count int) []string {
		return []string{"-test.run=^$", "-test.bench=" + bench, "-test.benchtime=" + benchtime,
			"-test.count=" + strconv.Itoa(count), "-test.timeout=20m"}
	}
	if count > 0 {
		res, err := once(args("1s", count)...)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "### %s inside workerd, Go's benchmark clock (-test.count=%d)\n\n```\n", bench, count)
		for _, l := range strings.Split(res.output, "\n") {
			if strings.HasPrefix(l, "Benchmark") {
				fmt.Fprintln(out, l)
			}
		}
		fmt.Fprintf(out, "```\n\n")
	}
	if reps == 0 {
		return nil
	}
	fmt.Fprintf(out, "### %s inside workerd, workerd's CPU time measured outside (n1=%d, n2=%d iterations)\n\n", bench, n1, n2)
	fmt.Fprintf(out, "| rep | cpu(n1) | cpu(n2) | wall(n1) | wall(n2) | cpu per iteration | wall per iteration |\n|---|---|---|---|---|---|---|\n")
	var cpuPer, wallPer []time.Duration
	for i := range reps {
		a, err := once(args(strconv.Itoa(n1)+"x", 1)...)
		if err != nil {
			return err
		}
		b, err := once(args(strconv.Itoa(n2)+"x", 1)...)
		if err != nil {
			return err
		}
		c := (b.cpu - a.cpu) / time.Duration(n2-n1)
		wl := (b.wall - a.wall) / time.Duration(n2-n1)
		cpuPer, wallPer = append(cpuPer, c), append(wallPer, wl)
		fmt.Fprintf(out, "| %d | %v | %v | %v | %v | %v | %v |\n", i+1, a.cpu.Round(time.Millisecond), b.cpu.Round(time.Millisecond),
			a.wall.Round(time.Millisecond), b.wall.Round(time.Millisecond), c.Round(time.Microsecond), wl.Round(time.Microsecond))
	}
	slices.Sort(cpuPer)
	slices.Sort(wallPer)
	fmt.Fprintf(out, "\nmedian: %v CPU, %v wall per iteration\n", cpuPer[len(cpuPer)/2].Round(time.Microsecond), wallPer[len(wallPer)/2].Round(time.Microsecond))
	return nil
}
