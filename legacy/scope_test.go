package legacy

import (
	"strings"
	"testing"
)

func TestForHostsMatches(t *testing.T) {
	o := Allow(ForHosts("Old.Test.", "*.old.example", "[2001:DB8::7]", "192.0.2.7", "::ffff:192.0.2.8")).(*option)
	if len(o.errs) > 0 {
		t.Fatal(o.errs)
	}
	for host, want := range map[string]bool{
		"old.test":        true,
		"OLD.test.":       true,
		"old.test:443":    true,
		"x.old.test":      false,
		"a.old.example":   true,
		"A.Old.Example":   true,
		"old.example":     false,
		"a.b.old.example": false,
		"aold.example":    false,
		"2001:db8::7":     true,
		"2001:db8:0::7":   true,
		"[2001:db8::7]":   true,
		"192.0.2.7":       true,
		"192.0.2.8":       true,
		"192.0.2.9":       false,
		"":                false,
		"new.test":        false,
	} {
		if got := o.l.Matches(host); got != want {
			t.Errorf("Matches(%q) = %v, want %v", host, got, want)
		}
	}
	if !Allow().(*option).l.Matches("anything.example") {
		t.Error("Allow without scope does not match every host")
	}
}

func TestNormalizeHost(t *testing.T) {
	good := map[string]string{
		"old.test":          "old.test",
		"OLD.Test.":         "old.test",
		"*.Example.COM":     "*.example.com",
		"localhost":         "localhost",
		"svc_1.internal":    "svc_1.internal",
		"[::1]":             "::1",
		"::ffff:10.0.0.1":   "10.0.0.1",
		"10.0.0.1":          "10.0.0.1",
		"xn--bcher-kva.tld": "xn--bcher-kva.tld",
	}
	for in, want := range good {
		got, err := normalizeHost(in)
		if err != nil || got != want {
			t.Errorf("normalizeHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", " old.test", "*", "*.", "*.com", "a.*.com", "*.*.example.com", "*a.example.com",
		"old.test:443", "https://old.test", "old.test/path", "fe80::1%eth0", "a..b", ".old.test", "-a.test", "a-.test",
		"bücher.test", strings.Repeat("a", 64) + ".test"} {
		if got, err := normalizeHost(in); err == nil {
			t.Errorf("normalizeHost(%q) = %q, want an error", in, got)
		}
	}
}
