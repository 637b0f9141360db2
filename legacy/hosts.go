package legacy

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// normalizeHost checks a name or pattern of ForHosts and returns it in the
// form internal.Legacy.Matches compares.
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
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if rest, ok := strings.CutPrefix(n, "*."); ok {
		if strings.Contains(rest, "*") {
			return "", fmt.Errorf("pattern %q: only the whole first label may be \"*\", as in *.example.com", name)
		}
		if err := checkDNSName(rest); err != nil {
			return "", fmt.Errorf("pattern %q: %v", name, err)
		}
		if !strings.Contains(rest, ".") {
			return "", fmt.Errorf("pattern %q is too broad: it would match every host under a top-level domain; name the domain, as in *.example.com", name)
		}
		return n, nil
	}
	if strings.Contains(n, "*") {
		return "", fmt.Errorf("pattern %q: only the whole first label may be \"*\", as in *.example.com", name)
	}
	if err := checkDNSName(n); err != nil {
		return "", fmt.Errorf("host name %q: %v", name, err)
	}
	return n, nil
}

// checkDNSName checks a lower-case host name without trailing dot: labels
// of 1 to 63 letters, digits, hyphens or underscores, not starting or
// ending with a hyphen, 253 characters at most.
func checkDNSName(n string) error {
	if n == "" {
		return errors.New("empty name")
	}
	if len(n) > 253 {
		return errors.New("longer than 253 characters")
	}
	for label := range strings.SplitSeq(n, ".") {
		if label == "" {
			return errors.New("empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("label %q is longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("character %q is not allowed in a host name", r)
			}
		}
	}
	return nil
}
