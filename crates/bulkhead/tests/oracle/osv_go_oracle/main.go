// Independent oracle for Go module matching: evaluates the OSV records of a directory (Go
// ecosystem) against "module<TAB>version" lines on stdin with golang.org/x/mod/semver, following
// the OSV spec (events sorted, introduced opens, fixed closes exclusively, last_affected
// inclusively; the `versions` list also matches). Prints "module<TAB>version<TAB>id".
// Build: GO111MODULE=off GOPATH=/usr/share/gocode go build (Debian's golang-golang-x-mod-dev).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/semver"
)

type event map[string]string

type record struct {
	ID       string `json:"id"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string  `json:"type"`
			Events []event `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
}

func v(s string) string {
	if strings.HasPrefix(s, "v") {
		return s
	}
	return "v" + s
}

func kv(e event) (string, string) {
	for k, x := range e {
		return k, x
	}
	return "", ""
}

func main() {
	files, _ := filepath.Glob(filepath.Join(os.Args[1], "*.json"))
	var recs []record
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			panic(err)
		}
		recs = append(recs, r)
	}
	out := map[string]bool{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 2 {
			continue
		}
		mod, ver := f[0], v(f[1])
		for _, r := range recs {
			for _, a := range r.Affected {
				if a.Package.Ecosystem != "Go" || a.Package.Name != mod {
					continue
				}
				hit := false
				for _, x := range a.Versions {
					if semver.Compare(v(x), ver) == 0 {
						hit = true
					}
				}
				for _, rg := range a.Ranges {
					if rg.Type != "SEMVER" {
						continue
					}
					evs := append([]event(nil), rg.Events...)
					sort.SliceStable(evs, func(i, j int) bool {
						ki, vi := kv(evs[i])
						kj, vj := kv(evs[j])
						zi, zj := ki == "introduced" && vi == "0", kj == "introduced" && vj == "0"
						if zi || zj {
							return zi && !zj
						}
						return semver.Compare(v(vi), v(vj)) < 0
					})
					in := false
					for _, e := range evs {
						k, x := kv(e)
						switch k {
						case "introduced":
							if x == "0" || semver.Compare(ver, v(x)) >= 0 {
								in = true
							}
						case "fixed":
							if semver.Compare(ver, v(x)) >= 0 {
								in = false
							}
						case "last_affected":
							if semver.Compare(ver, v(x)) > 0 {
								in = false
							}
						}
					}
					if in {
						hit = true
					}
				}
				if hit {
					out[mod+"\t"+f[1]+"\t"+r.ID] = true
				}
			}
		}
	}
	var lines []string
	for l := range out {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
}
