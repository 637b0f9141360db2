//go:debug tlssha1=1

package sha1default_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// With tlssha1=1 in the binary's default GODEBUG (a //go:debug directive
// here; a godebug line in go.mod does the same), a constructor without
// legacy.Allow refuses to build and says where the setting came from; the
// environment can still turn it off, as for the Go runtime.
func TestDefaultGODEBUG(t *testing.T) {
	if strings.Contains(os.Getenv("GODEBUG"), "tlssha1") {
		t.Skip("GODEBUG in the environment names tlssha1 and takes precedence")
	}
	_, err := tlsdefault.ClientConfig()
	if err == nil {
		t.Fatal("ClientConfig built with tlssha1=1 in the default GODEBUG")
	}
	if !strings.Contains(err.Error(), "GODEBUG tlssha1=1 (from the program's default GODEBUG") {
		t.Errorf("error does not name the default GODEBUG: %v", err)
	}
	if _, err := tlsdefault.NewClient(legacy.Allow(legacy.ForHosts("old.test"), legacy.Quiet())); err != nil {
		t.Errorf("with a scoped legacy.Allow: %v", err)
	}
	t.Setenv("GODEBUG", "tlssha1=0")
	if _, err := tlsdefault.ClientConfig(); err != nil {
		t.Errorf("GODEBUG=tlssha1=0 in the environment overrides the default: %v", err)
	}
}
