// Command benchreport reads the output of the benchmarks of this module
// (one or more runs, as run.sh collects them) and prints the targets P1–P6
// of BENCHMARKS.md as a Markdown table: the median of each figure, the
// ratio the target is about, and whether it is met.
//
//	go run ./cmd/benchreport results/raw.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// samples maps a benchmark name (without "Benchmark" and the -N suffix)
// and a unit to the values measured.
type samples map[string]map[string][]float64

func parse(r io.Reader, s samples) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if s[name] == nil {
			s[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			s[name][f[i+1]] = append(s[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// median returns the median of the named benchmark's unit, and whether
// there was any sample.
func (s samples) median(name, unit string) (float64, bool) {
	v := slices.Clone(s[name][unit])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

func (s samples) count(name, unit string) int { return len(s[name][unit]) }

func dur(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.3g s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	}
	return fmt.Sprintf("%.3g ns", ns)
}

func bytesize(b float64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.3g MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.3g KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

type row struct {
	target, what, ours, base, ratio, separate, goal, verdict string
}

type report struct {
	s    samples
	rows []row
}

// judge formats the goal and says whether ratio meets it (at most goal
// when max is set, at least otherwise); no goal, no verdict.
func judge(ratio, goal float64, max bool) (goalText, verdict string) {
	if goal <= 0 {
		return "", ""
	}
	met := ratio >= goal
	goalText = fmt.Sprintf("≥ %.2f×", goal)
	if max {
		met = ratio <= goal
		goalText = fmt.Sprintf("≤ %.2f×", goal)
	}
	if met {
		return goalText, "met"
	}
	return goalText, "**missed**"
}

// sepRatio is the ratio of the medians of two separate benchmarks, or "".
func (r *report) sepRatio(num, den, unit string) string {
	a, ok1 := r.s.median(num, unit)
	b, ok2 := r.s.median(den, unit)
	if !ok1 || !ok2 || b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// paired adds a row from a paired benchmark: the medians of the two
// implementations' figures (unit oursUnit, baseUnit), and the median of the
// per-sample ratio metric (inverted when invert is set), which is judged.
// sepNum/sepDen/sepUnit name the separate benchmarks giving the same ratio.
func (r *report) paired(target, what, name, oursUnit, baseUnit, ratioUnit string, invert bool, format func(float64) string, sepNum, sepDen, sepUnit string, goal float64, max bool) {
	o, _ := r.s.median(name, oursUnit)
	b, _ := r.s.median(name, baseUnit)
	q, ok := r.s.median(name, ratioUnit)
	if !ok {
		r.rows = append(r.rows, row{target: target, what: what, verdict: "not measured"})
		return
	}
	if invert {
		q = 1 / q
	}
	goalText, verdict := judge(q, goal, max)
	r.rows = append(r.rows, row{target, what, format(o), format(b),
		fmt.Sprintf("%.2f× (n=%d)", q, r.s.count(name, ratioUnit)),
		r.sepRatio(sepNum, sepDen, sepUnit), goalText, verdict})
}

// compare adds a row from two separate benchmarks: the ratio of their
// medians in unit, ours over base when oursOverBase is set, else base over
// ours, judged against goal.
func (r *report) compare(target, what, oursName, baseName, unit string, format func(float64) string, oursOverBase bool, goal float64, max bool) {
	o, ok1 := r.s.median(oursName, unit)
	b, ok2 := r.s.median(baseName, unit)
	if !ok1 || !ok2 {
		r.rows = append(r.rows, row{target: target, what: what, verdict: "not measured"})
		return
	}
	ratio := b / o
	if oursOverBase {
		ratio = o / b
	}
	goalText, verdict := judge(ratio, goal, max)
	n := min(r.s.count(oursName, unit), r.s.count(baseName, unit))
	r.rows = append(r.rows, row{target, what, format(o), format(b), "",
		fmt.Sprintf("%.2f× (n=%d)", ratio, n), goalText, verdict})
}

func (r *report) value(target, what, name, unit string, format func(float64) string, goal float64) {
	v, ok := r.s.median(name, unit)
	if !ok {
		r.rows = append(r.rows, row{target: target, what: what, verdict: "not measured"})
		return
	}
	verdict, goalText := "", ""
	if goal > 0 {
		goalText = "≤ " + format(goal)
		verdict = "met"
		if v > goal {
			verdict = "**missed**"
		}
	}
	r.rows = append(r.rows, row{target: target, what: what, ours: format(v), goal: goalText, verdict: verdict})
}

func main() {
	s := samples{}
	if len(os.Args) < 2 {
		if err := parse(os.Stdin, s); err != nil {
			fatal(err)
		}
	}
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err != nil {
			fatal(err)
		}
		err = parse(f, s)
		f.Close()
		if err != nil {
			fatal(err)
		}
	}
	r := &report{s: s}
	num := func(v float64) string {
		if v >= 100 {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.3g", v)
	}

	for _, cert := range []string{"ECDSA", "RSA"} {
		for _, kex := range []string{"X25519MLKEM768", "X25519"} {
			name := "Paired/P1/cert=" + cert + "/kex=" + kex
			sep := "P1Handshake/cert=" + cert + "/kex=" + kex + "/impl="
			what := cert + ", " + kex + ": CPU per full handshake"
			r.paired("P1", what+", tlsdefault / stdlib", name, "tlsdefault-cpu-ns/op", "stdlib-cpu-ns/op", "tlsdefault/stdlib-cpu", false, dur,
				sep+"tlsdefault", sep+"stdlib", "cpu-ns/op", 1.05, true)
			r.paired("P1", what+", tlsdefault / crypto floor", name, "tlsdefault-cpu-ns/op", "floor-cpu-ns/op", "tlsdefault/floor-cpu", false, dur,
				sep+"tlsdefault", sep+"floor", "cpu-ns/op", 1.6, true)
			r.paired("P1", what+", stdlib / crypto floor (context)", name, "stdlib-cpu-ns/op", "floor-cpu-ns/op", "stdlib/floor-cpu", false, dur,
				sep+"stdlib", sep+"floor", "cpu-ns/op", 0, true)
		}
	}
	for _, cert := range []string{"ECDSA", "RSA"} {
		name := "Paired/P2/cert=" + cert
		sep := "P2NewConn/cert=" + cert + "/impl="
		goal := map[string]float64{"ECDSA": 1.2, "RSA": 2.5}[cert]
		r.paired("P2", cert+": time per request on a new connection, DefaultTransport clone / tlsdefault (speed-up)", name,
			"tlsdefault-ns/op", "stdlib-ns/op", "stdlib/tlsdefault-time", false, dur, sep+"stdlib", sep+"tlsdefault", "ns/op", goal, false)
		r.paired("P2", cert+": CPU per request on a new connection, DefaultTransport clone / tlsdefault", name,
			"tlsdefault-cpu-ns/op", "stdlib-cpu-ns/op", "stdlib/tlsdefault-cpu", false, dur, sep+"stdlib", sep+"tlsdefault", "cpu-ns/op", 0, false)
		r.paired("P2", cert+": time per request, go-cleanhttp / tlsdefault (context)", name,
			"tlsdefault-ns/op", "cleanhttp-ns/op", "cleanhttp/tlsdefault-time", false, dur, sep+"cleanhttp", sep+"tlsdefault", "ns/op", 0, false)
		r.value("P2", cert+": tlsdefault handshakes resumed (resumed/op)", sep+"tlsdefault", "resumed/op", num, 0)
	}
	for _, proto := range []string{"HTTP1", "HTTP2"} {
		name := "Paired/P3/proto=" + proto
		sep := "P3KeepAlive/proto=" + proto + "/impl="
		r.paired("P3", proto+": time per keep-alive request, tlsdefault / stdlib", name,
			"tlsdefault-ns/op", "stdlib-ns/op", "tlsdefault/stdlib-time", false, dur, sep+"tlsdefault", sep+"stdlib", "ns/op", 1.05, true)
		r.paired("P3", proto+": CPU per keep-alive request, tlsdefault / stdlib", name,
			"tlsdefault-cpu-ns/op", "stdlib-cpu-ns/op", "tlsdefault/stdlib-cpu", false, dur, sep+"tlsdefault", sep+"stdlib", "cpu-ns/op", 1.05, true)
	}
	for _, n := range []string{"100", "1000", "10000"} {
		base := "P4CAPath/n=" + n + "/impl="
		goal, g := 0.0, 0.0
		if n == "10000" {
			goal, g = 10e6, 45
		}
		r.value("P4", n+" CAs: capool open + first verification", base+"capool", "ns/op", dur, goal)
		r.compare("P4", n+" CAs: time, go-rootcerts / capool (speed-up)", base+"capool", base+"gorootcerts", "ns/op", dur, false, g, false)
		r.compare("P4", n+" CAs: allocated B/op, go-rootcerts / capool", base+"capool", base+"gorootcerts", "B/op", bytesize, false, 0, false)
		r.compare("P4", n+" CAs: peak heap, go-rootcerts / capool", base+"capool", base+"gorootcerts", "peak-heap-B", bytesize, false, 0, false)
		r.compare("P4", n+" CAs: heap kept by the pool, go-rootcerts / capool", base+"capool", base+"gorootcerts", "retained-B", bytesize, false, 0, false)
	}
	r.value("P4", "system directory /etc/ssl/certs: capool.Load alone (context)", "P4SystemCAPath", "ns/op", dur, 0)
	r.compare("P4", "flatness: capool at 10,000 CAs / at 100", "P4CAPath/n=10000/impl=capool", "P4CAPath/n=100/impl=capool", "ns/op", dur, true, 2, true)
	for _, bundle := range []string{"system", "10000"} {
		name := "Paired/P5/bundle=" + bundle
		sep := "P5CAFile/bundle=" + bundle + "/impl="
		r.paired("P5", bundle+" bundle: load time, capool / AppendCertsFromPEM", name,
			"capool-ns/op", "stdlib-ns/op", "capool/stdlib-time", false, dur, sep+"capool", sep+"stdlib", "ns/op", 1.1, true)
		r.paired("P5", bundle+" bundle: load CPU, capool / AppendCertsFromPEM", name,
			"capool-cpu-ns/op", "stdlib-cpu-ns/op", "capool/stdlib-cpu", false, dur, sep+"capool", sep+"stdlib", "cpu-ns/op", 0, true)
		r.compare("P5", bundle+" bundle: allocated B/op, capool / AppendCertsFromPEM", sep+"capool", sep+"stdlib", "B/op", bytesize, true, 0, true)
		r.compare("P5", bundle+" bundle: heap kept by the pool, capool / AppendCertsFromPEM", sep+"capool", sep+"stdlib", "retained-B", bytesize, true, 0, true)
	}
	for _, cert := range []string{"ECDSA", "RSA"} {
		name := "Paired/P6/cert=" + cert
		sep := "P6ServerLoad/cert=" + cert + "/impl="
		r.paired("P6", cert+": handshakes/s from 2 clients, tlsdefault.Listen / tls.Listen", name,
			"tlsdefault-handshakes/s", "stdlib-handshakes/s", "tlsdefault/stdlib-time", true, num, sep+"tlsdefault", sep+"stdlib", "handshakes/s", 0.95, false)
		r.paired("P6", cert+": CPU per handshake (clients + server), tlsdefault / stdlib", name,
			"tlsdefault-cpu-ns/op", "stdlib-cpu-ns/op", "tlsdefault/stdlib-cpu", false, func(v float64) string { return dur(v / 16) /* a paired P6 op is 2 clients × 8 handshakes */ }, sep+"tlsdefault", sep+"stdlib", "cpu-ns/op", 0, true)
	}

	fmt.Println("| Target | Measurement | tlsdefault | baseline | ratio, paired | ratio, separate runs | goal | verdict |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, x := range r.rows {
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", x.target, x.what, x.ours, x.base, x.ratio, x.separate, x.goal, x.verdict)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "benchreport:", err)
	os.Exit(1)
}
