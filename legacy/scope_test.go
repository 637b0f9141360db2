package legacy

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault/internal"
)

func TestForHostsMatches(t *testing.T) {
	o := allow([]Scope{ForHosts("Old.Test.", "*.old.example", "[2001:DB8::7]", "192.0.2.7", "::ffff:192.0.2.8")})
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
		if got := o.m.Covers(host); got != want {
			t.Errorf("Covers(%q) = %v, want %v", host, got, want)
		}
	}
	if !allow(nil).m.Covers("anything.example") {
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
		strings.Repeat("a", 64) + ".test"} {
		if got, err := normalizeHost(in); err == nil {
			t.Errorf("normalizeHost(%q) = %q, want an error", in, got)
		}
	}
}

func TestWidenForHTTP2(t *testing.T) {
	modern12 := &tls.ClientHelloInfo{
		SupportedVersions: []uint16{tls.VersionTLS12, tls.VersionTLS11, tls.VersionTLS10},
		CipherSuites:      []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		SupportedCurves:   []tls.CurveID{tls.CurveP256},
	}
	for _, tc := range []struct {
		name  string
		hello *tls.ClientHelloInfo
		h2    bool
	}{
		{"TLS 1.3", &tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12}}, true},
		{"TLS 1.2 AEAD", modern12, true},
		{"TLS 1.0 only", &tls.ClientHelloInfo{SupportedVersions: []uint16{tls.VersionTLS10}, CipherSuites: modern12.CipherSuites, SupportedCurves: modern12.SupportedCurves}, false},
		{"TLS 1.2 CBC only", &tls.ClientHelloInfo{SupportedVersions: modern12.SupportedVersions, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}, SupportedCurves: modern12.SupportedCurves}, false},
		{"TLS 1.2 RSA kex", &tls.ClientHelloInfo{SupportedVersions: modern12.SupportedVersions, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}, SupportedCurves: modern12.SupportedCurves}, false},
		{"TLS 1.2 no curves", &tls.ClientHelloInfo{SupportedVersions: modern12.SupportedVersions, CipherSuites: modern12.CipherSuites}, false},
	} {
		cfg := &tls.Config{NextProtos: []string{"h2", "http/1.1"}, MinVersion: internal.MinVersion, CipherSuites: internal.CipherSuites()}
		orig := cfg.NextProtos
		tc.hello.ServerName = "old.test"
		(&mode{hosts: []string{"old.test"}}).ServerConfigFor(cfg, tc.hello)
		if got := slices.Contains(cfg.NextProtos, "h2"); got != tc.h2 {
			t.Errorf("%s: NextProtos = %v, want h2 %v", tc.name, cfg.NextProtos, tc.h2)
		}
		if !slices.Contains(cfg.NextProtos, "http/1.1") || orig[0] != "h2" {
			t.Errorf("%s: NextProtos = %v (original %v)", tc.name, cfg.NextProtos, orig)
		}
		if cfg.MinVersion != tls.VersionTLS10 {
			t.Errorf("%s: not widened", tc.name)
		}
	}
}

func TestMinRSABits(t *testing.T) {
	scoped := &mode{hosts: []string{"old.test"}}
	for _, tc := range []struct {
		m    *mode
		host string
		want int
	}{
		{scoped, "old.test", 1024},
		{scoped, "OLD.test.", 1024},
		{scoped, "new.test", internal.MinRSABits},
		{scoped, "", internal.MinRSABits},
		{&mode{}, "any.test", 1024},
	} {
		if got := tc.m.MinRSABits(tc.host); got != tc.want {
			t.Errorf("MinRSABits(%q) with hosts %v = %d, want %d", tc.host, tc.m.hosts, got, tc.want)
		}
	}
}
