// pprofcheck loads pprof profiles with google/pprof's own profile package and
// runs its CheckValid, so every profile heapsnap's tests write is judged by the
// reference implementation rather than by our own reader.
//
//	pprofcheck [-heap] [-threads] [-sum TYPE] FILE...
//
// -heap also checks Go's heap-profile conventions; -threads checks a
// threads/count profile; -sum TYPE prints the sum of that sample type's values.
// Exits 1 with one line per bad file.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/google/pprof/profile"
)

func checkHeap(p *profile.Profile) error {
	want := [][2]string{
		{"alloc_objects", "count"}, {"alloc_space", "bytes"},
		{"inuse_objects", "count"}, {"inuse_space", "bytes"},
	}
	if len(p.SampleType) != len(want) {
		return fmt.Errorf("heap profile has %d sample types, want 4", len(p.SampleType))
	}
	for i, w := range want {
		st := p.SampleType[i]
		if st.Type != w[0] || st.Unit != w[1] {
			return fmt.Errorf("sample type %d is %s/%s, want %s/%s", i, st.Type, st.Unit, w[0], w[1])
		}
	}
	if p.PeriodType == nil || p.PeriodType.Type != "space" || p.PeriodType.Unit != "bytes" {
		return fmt.Errorf("heap profile period type is not space/bytes")
	}
	if p.Period <= 0 {
		return fmt.Errorf("heap profile period %d is not positive", p.Period)
	}
	return nil
}

func checkThreads(p *profile.Profile) error {
	if len(p.SampleType) != 1 || p.SampleType[0].Type != "threads" || p.SampleType[0].Unit != "count" {
		return fmt.Errorf("threads profile must have the one sample type threads/count")
	}
	return nil
}

func main() {
	heap := flag.Bool("heap", false, "check Go heap-profile conventions")
	threads := flag.Bool("threads", false, "check a threads/count profile")
	sum := flag.String("sum", "", "print the sum of this sample type's values")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: pprofcheck [-heap] [-threads] [-sum TYPE] FILE...")
		os.Exit(2)
	}
	bad := false
	for _, name := range flag.Args() {
		err := func() error {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			p, err := profile.Parse(f)
			if err != nil {
				return err
			}
			if err := p.CheckValid(); err != nil {
				return err
			}
			if *heap {
				if err := checkHeap(p); err != nil {
					return err
				}
			}
			if *threads {
				if err := checkThreads(p); err != nil {
					return err
				}
			}
			if *sum != "" {
				idx := -1
				for i, st := range p.SampleType {
					if st.Type == *sum {
						idx = i
					}
				}
				if idx < 0 {
					return fmt.Errorf("no sample type %s", *sum)
				}
				var total int64
				for _, s := range p.Sample {
					total += s.Value[idx]
				}
				fmt.Println(total)
			}
			return nil
		}()
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			bad = true
		} else if *sum == "" {
			fmt.Printf("%s: ok\n", name)
		}
	}
	if bad {
		os.Exit(1)
	}
}
