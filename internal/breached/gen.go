//go:build ignore

// gen writes passwords.bin, the list package breached embeds, from zxcvbn's passwords.txt
// (one "password count" per line, most common first), as published in the Go module
// github.com/trustelem/zxcvbn v1.0.1 (MIT; the list is zxcvbn's, drawn from Mark Burnett's
// public-domain 10 million password dump):
//
//	go mod download github.com/trustelem/zxcvbn@v1.0.1
//	go run gen.go -n 20000 $(go env GOMODCACHE)/github.com/trustelem/zxcvbn@v1.0.1/data/passwords.txt
//
// Each of the first n passwords becomes the first HashLen bytes of SHA-256 of its lower-case
// form; the hashes are sorted and written back to back.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"flag"
	"log"
	"os"
	"sort"
	"strings"
)

const hashLen = 6 // breached.HashLen

func main() {
	n := flag.Int("n", 20000, "how many of the most common passwords to keep")
	out := flag.String("o", "passwords.bin", "output file")
	flag.Parse()
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	var hashes [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() && len(seen) < *n {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		pw := strings.ToLower(fields[0])
		if seen[pw] {
			continue
		}
		seen[pw] = true
		sum := sha256.Sum256([]byte(pw))
		hashes = append(hashes, sum[:hashLen])
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	sort.Slice(hashes, func(i, j int) bool { return bytes.Compare(hashes[i], hashes[j]) < 0 })
	var buf bytes.Buffer
	for i, h := range hashes {
		if i > 0 && bytes.Equal(h, hashes[i-1]) {
			continue
		}
		buf.Write(h)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d passwords, %d bytes", buf.Len()/hashLen, buf.Len())
}
