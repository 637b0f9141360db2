package legacy_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// childEnv marks the test binary re-run by TestGODEBUGTLSSHA1 with a
// GODEBUG of its own.
const childEnv = "TLSDEFAULT_TEST_GODEBUG_CHILD"

// GODEBUG=tlssha1=1 makes crypto/tls accept SHA-1 handshake signatures
// from every peer, which no tls.Config field can undo: every constructor
// without legacy.Allow refuses to build, naming the setting and the way
// out; with a scoped legacy.Allow the constructor builds and warns that the
// setting reaches every host. The setting is given to a child process (this
// test binary, run again) in its environment, as a user would.
func TestGODEBUGTLSSHA1(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		godebugChild(t)
		return
	}
	for _, tc := range []struct {
		godebug string
		refused bool
	}{
		{"tlssha1=1", true},
		{"http2debug=0,tlssha1=1", true},
		{"tlssha1=0,tlssha1=1", true}, // the last setting wins
		{"tlssha1=1,tlssha1=0", false},
		{"tlssha1=0", false},
	} {
		t.Run(tc.godebug, func(t *testing.T) {
			runGODEBUGChild(t, "TestGODEBUGTLSSHA1", tc.godebug, "tlssha1=1", tc.refused)
		})
	}
}

// GODEBUG=tlsmlkem=0 removes the hybrid post-quantum key exchange from
// every TLS connection of the process (CurvePreferences cannot bring it
// back): refused as tlssha1=1 is. tlssecpmlkem=0 keeps X25519MLKEM768 and
// is accepted. (Found by the second red-team pass: the groups were dropped
// silently.)
func TestGODEBUGTLSMLKEM(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		godebugChild(t)
		return
	}
	for _, tc := range []struct {
		godebug string
		refused bool
	}{
		{"tlsmlkem=0", true},
		{"tlssha1=0,tlsmlkem=0", true},
		{"tlsmlkem=0,tlsmlkem=1", false},
		{"tlssecpmlkem=0", false},
	} {
		t.Run(tc.godebug, func(t *testing.T) {
			runGODEBUGChild(t, "TestGODEBUGTLSMLKEM", tc.godebug, "tlsmlkem=0", tc.refused)
		})
	}
}

// runGODEBUGChild runs test again in a child process with GODEBUG=godebug,
// where setting (the one refused) is expected to be refused or not.
func runGODEBUGChild(t *testing.T, test, godebug, setting string, refused bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug, childEnv+"="+map[bool]string{true: "refused", false: "allowed"}[refused], settingEnv+"="+setting)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("child with GODEBUG=%s: %v\n%s", godebug, err, out)
	}
	t.Logf("child with GODEBUG=%s:\n%s", godebug, out)
}

// settingEnv names, for the child, the GODEBUG setting it expects refused.
const settingEnv = "TLSDEFAULT_TEST_GODEBUG_SETTING"

// godebugChild runs in the child process.
func godebugChild(t *testing.T) {
	refused := os.Getenv(childEnv) == "refused"
	setting := os.Getenv(settingEnv)
	ca := testpki.NewCA(t)
	cert := tlsdefault.WithCertificate(ca.Server(t).TLS())
	constructors := []struct {
		name  string
		build func(opts ...tlsdefault.Option) error
	}{
		{"ClientConfig", func(opts ...tlsdefault.Option) error { _, err := tlsdefault.ClientConfig(opts...); return err }},
		{"NewTransport", func(opts ...tlsdefault.Option) error { _, err := tlsdefault.NewTransport(opts...); return err }},
		{"NewClient", func(opts ...tlsdefault.Option) error { _, err := tlsdefault.NewClient(opts...); return err }},
		{"ServerConfig", func(opts ...tlsdefault.Option) error {
			_, err := tlsdefault.ServerConfig(append(opts, cert)...)
			return err
		}},
		{"Listen", func(opts ...tlsdefault.Option) error {
			ln, err := tlsdefault.Listen("tcp", "127.0.0.1:0", append(opts, cert)...)
			if err == nil {
				ln.Close()
			}
			return err
		}},
		{"NewListener", func(opts ...tlsdefault.Option) error {
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer inner.Close()
			_, err = tlsdefault.NewListener(inner, append(opts, cert)...)
			return err
		}},
	}
	for _, c := range constructors {
		err := c.build()
		switch {
		case refused && err == nil:
			t.Errorf("%s without legacy.Allow built under GODEBUG=%s", c.name, os.Getenv("GODEBUG"))
		case refused:
			for _, want := range []string{"tlsdefault: ", "GODEBUG " + setting, "the GODEBUG environment variable", "of this program", "remove " + setting, "legacy.Allow(legacy.ForHosts("} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error lacks %q: %v", c.name, want, err)
				}
			}
		case err != nil:
			t.Errorf("%s without legacy.Allow under GODEBUG=%s: %v", c.name, os.Getenv("GODEBUG"), err)
		}

		// A scoped Allow builds (ClientConfig and NewTransport refuse a
		// scope, whatever GODEBUG says), and warns once per Allow that the
		// setting reaches every host; an unscoped one covers every host
		// anyway and builds without that warning.
		warn := &syncBuffer{}
		err = c.build(legacy.Allow(legacy.ForHosts("old.test"), legacy.WarnTo(warn)))
		switch shared := c.name == "ClientConfig" || c.name == "NewTransport"; {
		case shared && (err == nil || !strings.Contains(err.Error(), "use NewClient")):
			t.Errorf("%s with a scoped legacy.Allow: %v; want the error that says to use NewClient", c.name, err)
		case !shared && err != nil:
			t.Errorf("%s with a scoped legacy.Allow: %v", c.name, err)
		}
		got := warn.String()
		if refused && (!strings.Contains(got, "tlsdefault: warning: GODEBUG "+setting+" (from the GODEBUG environment variable)") ||
			!strings.Contains(got, "of this program, not only from the hosts of legacy.ForHosts") || strings.Count(got, "\n") != 1) {
			t.Errorf("%s with a scoped legacy.Allow: want one warning that the setting reaches every host, got %q", c.name, got)
		}
		if !refused && got != "" {
			t.Errorf("%s with a scoped legacy.Allow: warning without %s: %q", c.name, setting, got)
		}
		warn = &syncBuffer{}
		if err := c.build(legacy.Allow(legacy.WarnTo(warn))); err != nil || warn.String() != "" {
			t.Errorf("%s with legacy.Allow(): %v, warning %q", c.name, err, warn.String())
		}
	}
}
