package legacy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/tlsdefault/tlsdefault/internal/hostname"
)

// normalizeHost checks a name or pattern of ForHosts and returns it in the
// form internal.Legacy.Matches compares: an IP address in its canonical
// spelling, or a host name (after "*." for a pattern) as
// hostname.Normalize returns it, lower-case A-labels.
func normalizeHost(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty host name")
	}
	if strings.TrimSpace(name) != name || strings.ContainsAny(name, " \t\r\n") {
		return "", fmt.Errorf("host name %q contains white space", name)
	}
	if strings.Contains(name, "://") || strings.Contains(name, "/") {
		return "", fmt.Errorf("%q is not a host name (give the host of a URL, without scheme or path)", name)
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")); err == nil {
		if a.Zone() != "" {
			return "", fmt.Errorf("IP address %q has a zone; give the address without it", name)
		}
		return a.Unmap().String(), nil
	}
	if strings.Contains(name, ":") {
		return "", fmt.Errorf("%q has a port or is not a host name; give the host name without port", name)
	}
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		if strings.Contains(rest, "*") {
			return "", fmt.Errorf("pattern %q: only the whole first label may be \"*\", as in *.example.com", name)
		}
		base, err := hostname.Normalize(rest)
		if err != nil {
			return "", fmt.Errorf("pattern %q: %v", name, err)
		}
		if !strings.Contains(base, ".") {
			return "", fmt.Errorf("pattern %q is too broad: it would match every host under a top-level domain; name the domain, as in *.example.com", name)
		}
		if ok, why, instead := hostname.WildcardTooBroad(base); ok {
			return "", fmt.Errorf("pattern %q is too broad: %s, so the pattern would match hosts of unrelated owners; name the domain of one owner, as in %s", name, why, instead)
		}
		return "*." + base, nil
	}
	if strings.Contains(name, "*") {
		return "", fmt.Errorf("pattern %q: only the whole first label may be \"*\", as in *.example.com", name)
	}
	n, err := hostname.Normalize(name)
	if err != nil {
		return "", fmt.Errorf("host name %q: %v", name, err)
	}
	return n, nil
}
