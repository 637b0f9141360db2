package internal

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

type hooked struct{ n int }

func (h *hooked) verify(tls.ConnectionState) error { return nil }

func TestSameHook(t *testing.T) {
	a, b := &hooked{1}, &hooked{2}
	ha, hb := a.verify, b.verify
	cfg := &tls.Config{VerifyConnection: ha}
	if !SameHook(cfg.Clone().VerifyConnection, ha) {
		t.Error("a clone's hook is not the same")
	}
	if SameHook(hb, ha) || SameHook(a.verify, ha) || SameHook(nil, ha) || SameHook(ha, nil) {
		t.Error("different hooks reported the same")
	}
	wrap := func(cs tls.ConnectionState) error { return ha(cs) }
	if SameHook(wrap, ha) {
		t.Error("a wrapper reported the same")
	}
}

func TestSamePeerHook(t *testing.T) {
	n := 0
	ha := func([][]byte, [][]*x509.Certificate) error { n++; return nil }
	hb := func([][]byte, [][]*x509.Certificate) error { n--; return nil }
	cfg := &tls.Config{VerifyPeerCertificate: ha}
	if !SamePeerHook(cfg.Clone().VerifyPeerCertificate, ha) {
		t.Error("a clone's hook is not the same")
	}
	if SamePeerHook(hb, ha) || SamePeerHook(nil, ha) || SamePeerHook(ha, nil) {
		t.Error("different hooks reported the same")
	}
}
