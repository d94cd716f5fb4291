// tests/integration/an_jsonflat.go: reads one JSON document on stdin, checks it
// is valid, and prints every leaf as "path=value" (arrays by index, sorted),
// so shell tests can assert exact members of heapsnap-analyze --json:
//
//	suspects.0.function=add_entry
//	suspects.0.r2=1
//
// Exit 1 on invalid JSON. Standard library only (built offline).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
)

func flatten(prefix string, v interface{}, out map[string]string) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			flatten(join(k), e, out)
		}
		if len(x) == 0 {
			out[prefix] = "{}"
		}
	case []interface{}:
		for i, e := range x {
			flatten(join(strconv.Itoa(i)), e, out)
		}
		out[join("length")] = strconv.Itoa(len(x))
	case nil:
		out[prefix] = "null"
	case float64:
		out[prefix] = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		out[prefix] = strconv.FormatBool(x)
	case string:
		out[prefix] = x
	}
}

func main() {
	var v interface{}
	dec := json.NewDecoder(os.Stdin)
	if err := dec.Decode(&v); err != nil {
		fmt.Fprintln(os.Stderr, "invalid JSON:", err)
		os.Exit(1)
	}
	if dec.More() {
		fmt.Fprintln(os.Stderr, "invalid JSON: trailing data")
		os.Exit(1)
	}
	out := map[string]string{}
	flatten("", v, out)
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s=%s\n", k, out[k])
	}
}
