// tests/gofixtures/main.go: writes the Go heap-profile series that the
// analyzer's tests read (tests/gofixtures/*.pb.gz). Two leaks and three
// controls run side by side; a profile is written after every step.
//
//	growBuffer:  one slice appended to forever (bytes up, one object)
//	addSessions: a map whose keys are never evicted (objects up)
//	churn:       allocates and drops at a steady rate (in-use flat)
//	fillCache:   grows to a bound during the first steps, then stays flat
//	warmUp:      one large table allocated once at start
//
// Built offline with Debian's golang-go and the standard library only:
// see regen.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"
)

type session struct {
	id      int
	payload [480]byte
}

var (
	buffer   []byte
	sessions = map[int]*session{}
	ring     [][]byte
	cache    = map[int][]byte{}
	table    []uint64
	nextID   int
)

// growBuffer appends one chunk to a buffer that is never truncated.
func growBuffer(n int) {
	chunk := make([]byte, n)
	buffer = append(buffer, chunk...)
}

// addSessions stores entries under ids that are never deleted.
func addSessions(n int) {
	for i := 0; i < n; i++ {
		nextID++
		sessions[nextID] = &session{id: nextID}
	}
}

// churn replaces the entries of a fixed-size ring: allocation without growth.
func churn(n int) {
	for i := 0; i < n; i++ {
		ring[(nextID+i)%len(ring)] = make([]byte, 512)
	}
}

// fillCache adds entries until the cache holds limit of them.
func fillCache(n, limit int) {
	for i := 0; i < n && len(cache) < limit; i++ {
		cache[len(cache)] = make([]byte, 1024)
	}
}

// warmUp allocates a lookup table once.
func warmUp() {
	table = make([]uint64, 1<<19)
}

func main() {
	out := flag.String("o", ".", "output directory")
	steps := flag.Int("n", 12, "number of profiles")
	interval := flag.Duration("i", 200*time.Millisecond, "time between profiles")
	rate := flag.Int("rate", 64*1024, "runtime.MemProfileRate")
	flag.Parse()
	runtime.MemProfileRate = *rate

	ring = make([][]byte, 4096)
	warmUp()
	for step := 0; step < *steps; step++ {
		growBuffer(256 * 1024)
		addSessions(2000)
		churn(4096)
		fillCache(3000, 6000)
		time.Sleep(*interval)
		runtime.GC()
		name := filepath.Join(*out, fmt.Sprintf("heap-%02d.pb.gz", step))
		f, err := os.Create(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		f.Close()
	}
	runtime.KeepAlive(table)
}
