package internal_test

import (
	"testing"

	"github.com/tlsdefault/tlsdefault/internal"
)

func TestLegacyMatches(t *testing.T) {
	l := &internal.Legacy{Hosts: []string{"old.test", "*.corp.example", "192.0.2.7"}}
	for host, want := range map[string]bool{
		"old.test": true, "OLD.test.": true, "old.test:443": true, "new.test": false,
		"a.corp.example": true, "a.b.corp.example": false, "corp.example": false,
		"192.0.2.7": true, "192.0.2.8": false, "": false,
	} {
		if got := l.Matches(host); got != want {
			t.Errorf("Matches(%q) = %v, want %v", host, got, want)
		}
	}
	if !(&internal.Legacy{}).Matches("anything") {
		t.Error("unscoped legacy does not match everything")
	}
}
