// tests/integration/name_demangle.go: checks that every C++ function of heap
// profiles is named the way google/pprof names it by default: Function.name
// equals pprof's own demangling of system_name with its default options
// (demangle.NoParams, demangle.NoTemplateParams), and system_name is the
// mangled symbol. Prints "N C++ functions, M differ" and each difference;
// exits 1 when any differ or no C++ function was seen. Built offline from
// Debian's golang-github-google-pprof-dev and golang-github-ianlancetaylor-demangle-dev.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/ianlancetaylor/demangle"
)

func main() {
	seen, bad := 0, 0
	for _, path := range os.Args[1:] {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		p, err := profile.Parse(f)
		f.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, path+":", err)
			os.Exit(2)
		}
		for _, fn := range p.Function {
			if !strings.HasPrefix(fn.SystemName, "_Z") {
				continue
			}
			seen++
			want := demangle.Filter(fn.SystemName, demangle.NoParams, demangle.NoTemplateParams)
			if fn.Name != want {
				bad++
				fmt.Printf("%s: %q named %q, pprof shows %q\n", path, fn.SystemName, fn.Name, want)
			}
		}
	}
	fmt.Printf("%d C++ functions, %d differ\n", seen, bad)
	if bad > 0 || seen == 0 {
		os.Exit(1)
	}
}
