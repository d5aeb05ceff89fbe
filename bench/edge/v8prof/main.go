// Command v8prof summarises a V8 CPU profile (node --cpu-prof's .cpuprofile) of poolgate's
// js/wasm code: the functions with the most self time, Go's wasm functions by the names of
// the module's name section (build without -ldflags=-s). With -under, only the samples whose
// stack holds a frame whose name contains that text count (e.g. one operation's handler),
// so the set-up and warm-up of a benchmark run drop out. V8 names a wasm function
// "wasm-function[N]" when it does not read the module's name section; -wasm names them from
// the module file.
//
//	go run ./bench/edge/v8prof -wasm edge.test.wasm -under 'GetUser' -top 15 CPU.*.cpuprofile
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

type profile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
			URL          string `json:"url"`
		} `json:"callFrame"`
		Children []int `json:"children"`
	} `json:"nodes"`
	Samples    []int   `json:"samples"`
	TimeDeltas []int64 `json:"timeDeltas"` // µs before each sample
}

func main() {
	under := flag.String("under", "", "count only samples with a frame whose name contains this")
	top := flag.Int("top", 15, "functions to list")
	module := flag.String("wasm", "", "the profiled wasm module, for its function names")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: v8prof [-under name] [-top n] file.cpuprofile ...")
		os.Exit(2)
	}
	var names map[int]string
	if *module != "" {
		b, err := os.ReadFile(*module)
		if err == nil {
			names, err = wasmNames(b)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "v8prof:", err)
			os.Exit(1)
		}
	}
	self := map[string]time.Duration{}
	var total time.Duration
	for _, path := range flag.Args() {
		if err := add(path, *under, names, self, &total); err != nil {
			fmt.Fprintln(os.Stderr, "v8prof:", err)
			os.Exit(1)
		}
	}
	write(os.Stdout, self, total, *top)
}

// add counts one profile's samples into self (by function) and total.
func add(path, under string, names map[int]string, self map[string]time.Duration, total *time.Duration) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var p profile
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	parent := map[int]int{}
	name := map[int]string{}
	for _, n := range p.Nodes {
		name[n.ID] = n.CallFrame.FunctionName
		var idx int
		if _, err := fmt.Sscanf(name[n.ID], "wasm-function[%d]", &idx); err == nil && names[idx] != "" {
			name[n.ID] = names[idx]
		}
		if name[n.ID] == "" {
			name[n.ID] = "(anonymous " + n.CallFrame.URL + ")"
		}
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	keep := map[int]bool{} // node → its stack holds a frame matching under
	kept := func(id int) bool {
		if under == "" {
			return true
		}
		k, ok := keep[id]
		if !ok {
			for n, has := id, true; has; n, has = parent[n] {
				if strings.Contains(name[n], under) {
					k = true
					break
				}
			}
			keep[id] = k
		}
		return k
	}
	// A sample's time is the delta before the next sample.
	for i, id := range p.Samples {
		if i+1 >= len(p.TimeDeltas) || !kept(id) {
			continue
		}
		d := time.Duration(p.TimeDeltas[i+1]) * time.Microsecond
		self[name[id]] += d
		*total += d
	}
	return nil
}

func write(w io.Writer, self map[string]time.Duration, total time.Duration, top int) {
	type row struct {
		name string
		d    time.Duration
	}
	var rows []row
	for n, d := range self {
		rows = append(rows, row{n, d})
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(cmp.Compare(b.d, a.d), cmp.Compare(a.name, b.name)) })
	fmt.Fprintf(w, "samples counted: %v\n\n| # | function | self | %% |\n|---|---|---|---|\n", total.Round(time.Millisecond))
	for i, r := range rows[:min(top, len(rows))] {
		fmt.Fprintf(w, "| %d | `%s` | %v | %.1f |\n", i+1, strings.ReplaceAll(r.name, "|", `\|`), r.d.Round(time.Millisecond), 100*float64(r.d)/float64(total))
	}
}
