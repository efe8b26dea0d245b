// Go 1.19 oracle for `imgsize calibrate` (BENCHMARKS.md §7): the rates of Go's compress/gzip
// inflate and crypto/sha256, the code paths dockerd 20.10 and containerd 1.6 (Debian bookworm,
// built with go1.19.8) use, on a sample file and its gzip -6 stream:
//   apt-get install -y golang-go && cd bench/go-rates && go build -o /tmp/go-rates . && /tmp/go-rates sample.gz sample.bin
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"time"
)

func best(n int, f func()) float64 {
	b := 1e9
	for i := 0; i < n; i++ {
		t0 := time.Now()
		f()
		if d := time.Since(t0).Seconds(); d < b {
			b = d
		}
	}
	return b
}

func main() {
	gz, _ := os.ReadFile(os.Args[1])
	raw, _ := os.ReadFile(os.Args[2])
	tInf := best(3, func() {
		r, _ := gzip.NewReader(bytes.NewReader(gz))
		io.Copy(io.Discard, r)
	})
	tSha := best(3, func() { h := sha256.New(); h.Write(raw); h.Sum(nil) })
	tBoth := best(3, func() {
		r, _ := gzip.NewReader(bytes.NewReader(gz))
		h := sha256.New()
		io.Copy(h, r)
		h.Sum(nil)
	})
	n := float64(len(raw))
	fmt.Printf("go compress/gzip inflate %.0f MB/s, crypto/sha256 %.0f MB/s, inflate+sha256 %.0f MB/s\n", n/tInf/1e6, n/tSha/1e6, n/tBoth/1e6)
}
