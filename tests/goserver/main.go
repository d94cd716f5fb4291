// tests/goserver/main.go: a Go server with the two classic leaks, for
// heapsnap-analyze's tests on Go's own net/http/pprof profiles at Go's default
// MemProfileRate (never changed here). Modes:
//
//	server: a slice appended to forever, a map that only gains entries, and a
//	        busy request handler that allocates and drops (churn)
//	map:    the map and the handler only
//	steady: the handler only (no leak)
//
// It prints the base URL of its pprof endpoint on its first line. Built
// offline with Debian's golang-go and the standard library only.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"strconv"
	"time"
)

var (
	history  []byte
	sessions = map[string][]byte{}
	ring     = make([][]byte, 2048)
	sink     int
)

// appendHistory grows one slice forever.
func appendHistory(n int) {
	history = append(history, make([]byte, n)...)
}

// rememberSession stores a value under a key that is never deleted.
func rememberSession(id int) {
	sessions["session-"+strconv.Itoa(id)] = make([]byte, 200)
}

// handleRequest allocates and drops: churn.
func handleRequest(i int) {
	b := make([]byte, 4096+i%4096)
	ring[i%len(ring)] = b
	sink += len(b)
}

func main() {
	mode := flag.String("mode", "server", "server, map or steady")
	addr := flag.String("http", "127.0.0.1:0", "pprof endpoint")
	limit := flag.Duration("duration", 60*time.Second, "exit after this long")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	go http.Serve(ln, nil)
	id := 0
	tick := time.NewTicker(10 * time.Millisecond)
	end := time.After(*limit)
	// One round of work per 10 ms of wall time: a round the ticker dropped
	// while the process waited for a CPU is made up at the next tick (up to
	// a second's worth), so the leaks grow at their rate on a loaded machine.
	start := time.Now()
	for i := 0; ; {
		select {
		case <-end:
			return
		case <-tick.C:
		}
		due := int(time.Since(start) / (10 * time.Millisecond))
		if due > i+100 {
			due = i + 100
		}
		for ; i < due; i++ {
			for k := 0; k < 50; k++ {
				handleRequest(i*50 + k)
			}
			entries := 0
			switch *mode {
			case "server":
				appendHistory(30000)
				entries = 40
			case "map":
				entries = 80
			}
			for k := 0; k < entries; k++ {
				id++
				rememberSession(id)
			}
		}
	}
}
