// Oracle for tests/lang_versions.rs: golang.org/x/mod/semver.
// Build (GOPATH mode, Debian's golang-golang-x-mod-dev):
//   GO111MODULE=off GOPATH=/usr/share/gocode go build -o ORACLE go_semver_oracle.go
// Usage: ORACLE PAIRS. PAIRS holds lines `HEX_A,HEX_B` (UTF-8, hex-encoded). One output line per
// pair: `<`, `=`, `>`, or `E` when either side is not valid (semver.IsValid).
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, "# golang.org/x/mod/semver")
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, ",", 2)
		a, _ := hex.DecodeString(parts[0])
		b, _ := hex.DecodeString(parts[1])
		if !semver.IsValid(string(a)) || !semver.IsValid(string(b)) {
			fmt.Fprintln(w, "E")
			continue
		}
		switch semver.Compare(string(a), string(b)) {
		case -1:
			fmt.Fprintln(w, "<")
		case 1:
			fmt.Fprintln(w, ">")
		default:
			fmt.Fprintln(w, "=")
		}
	}
}
