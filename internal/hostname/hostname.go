// Package hostname puts DNS host names in the one form the module compares
// them in (lower-case ASCII, internationalised labels as their punycode
// A-labels, no trailing dot) and says whether a name is a public suffix.
//
// It is a leaf: it imports only the standard library and golang.org/x/net,
// so that package legacy (ForHosts) and the scope matcher in package
// internal can both call it and agree on what a name is.
package hostname

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// profile converts names as a browser's URL parser does (UTS #46,
// non-transitional, as in the WHATWG URL standard): Unicode is mapped
// (case folded, width-normalised, "。" read as a dot) and validated, the bidi
// and joiner rules of RFC 5893 and RFC 5892 are checked, and xn-- labels
// must be valid punycode of a valid label. Two of Lookup's strict rules are
// left out, as browsers leave them out: "--" in the third and fourth
// positions (names such as "r3---sn-abc.example.net" are in use), and the
// STD3 limit to letters, digits and hyphens (Normalize applies its own
// check afterwards, which also allows "_").
var profile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.CheckHyphens(false),
	idna.StrictDomainName(false),
	idna.Transitional(false),
)

// noBidi and noJoiners are profile without one rule, to tell which rule a
// refused label breaks.
var (
	noBidi = idna.New(idna.MapForLookup(), idna.CheckJoiners(true), idna.CheckHyphens(false),
		idna.StrictDomainName(false), idna.Transitional(false))
	noJoiners = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.CheckJoiners(false), idna.CheckHyphens(false),
		idna.StrictDomainName(false), idna.Transitional(false))
)

// Normalize returns the DNS host name name in the form the module compares
// names in: lower case, each internationalised label as its A-label
// ("bücher.example" becomes "xn--bcher-kva.example"), without a trailing
// dot. It does not accept IP addresses, ports or wildcards; callers handle
// those first.
//
// A name is refused, with the reason, when it is empty, not UTF-8, longer
// than 253 characters once converted, has an empty label or a label longer
// than 63 characters, a label that starts or ends with a hyphen, a
// character other than letters, digits, "-" and "_" (after conversion), or
// a label that IDNA does not allow (a character not allowed in domain
// names, a misplaced joiner, mixed-direction text against the bidi rule,
// a leading combining mark, or an xn-- label that is not valid punycode).
// The error does not repeat name; the caller says which name it was.
func Normalize(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty name")
	}
	if !utf8.ValidString(name) {
		return "", errors.New("not valid UTF-8")
	}
	var a string
	if lower := strings.ToLower(name); isASCII(name) && !strings.Contains(lower, "xn--") {
		// The common case, as dialled or sent as SNI: IDNA would map
		// nothing but case.
		a = lower
	} else {
		var err error
		a, err = profile.ToASCII(name)
		if err != nil {
			return "", explain(name, err)
		}
	}
	a = strings.TrimSuffix(a, ".")
	if err := checkASCII(a); err != nil {
		return "", err
	}
	// A Unicode label's hyphens are checked on its Unicode form: "-ü"
	// becomes "xn----eha", which starts with a letter.
	for label := range strings.SplitSeq(a, ".") {
		if !strings.HasPrefix(label, "xn--") {
			continue
		}
		u, err := idna.Punycode.ToUnicode(label)
		if err != nil {
			return "", fmt.Errorf("label %q is not valid punycode", label)
		}
		if strings.HasPrefix(u, "-") || strings.HasSuffix(u, "-") {
			return "", fmt.Errorf("label %q (%s) starts or ends with a hyphen", u, label)
		}
	}
	return a, nil
}

// checkASCII checks a converted name: labels of 1 to 63 letters, digits,
// hyphens or underscores, not starting or ending with a hyphen, 253
// characters at most.
func checkASCII(n string) error {
	if n == "" {
		return errors.New("empty name")
	}
	if len(n) > 253 {
		return fmt.Errorf("longer than 253 characters (%d)", len(n))
	}
	for label := range strings.SplitSeq(n, ".") {
		if label == "" {
			return errors.New("empty label (two dots in a row, or a leading dot)")
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

// explain turns an IDNA error into a reason, found by checking the labels
// of name one at a time. x/net/idna's own errors name the label but not
// the rule it breaks.
func explain(name string, err error) error {
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			continue
		}
		if _, lerr := profile.ToASCII(label); lerr == nil {
			continue
		}
		shown := label
		u := label
		if strings.HasPrefix(strings.ToLower(label), "xn--") {
			d, perr := idna.Punycode.ToUnicode(strings.ToLower(label))
			if perr != nil {
				return fmt.Errorf("label %q is not valid punycode", label)
			}
			if isASCII(d) {
				return fmt.Errorf("label %q is punycode for the ASCII text %q, which must be written as it is", label, d)
			}
			u = d
			shown = fmt.Sprintf("%q (%s)", d, label)
		} else {
			shown = fmt.Sprintf("%q", label)
		}
		for _, r := range u {
			if r == '\u200c' || r == '\u200d' {
				if _, jerr := noJoiners.ToASCII(label); jerr == nil {
					return fmt.Errorf("label %s has a zero-width joiner or non-joiner (%U) where RFC 5892 does not allow one", shown, r)
				}
			}
		}
		if _, berr := noBidi.ToASCII(label); berr == nil {
			return fmt.Errorf("label %s mixes right-to-left and other text against the bidi rule of RFC 5893", shown)
		}
		if r, _ := utf8.DecodeRuneInString(u); unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) {
			return fmt.Errorf("label %s starts with a combining mark (%U)", shown, r)
		}
		for _, r := range u {
			if _, rerr := profile.ToASCII(string(r)); rerr != nil && !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me) && r != '\u200c' && r != '\u200d' {
				return fmt.Errorf("label %s has the character %q (%U), which IDNA does not allow in host names", shown, r, r)
			}
		}
		return fmt.Errorf("label %s is not a valid internationalised label (%v)", shown, err)
	}
	return fmt.Errorf("not a valid internationalised name (%v)", err)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// PublicSuffix reports whether name, in the form Normalize returns, is
// itself a public suffix: a name under which unrelated owners register
// their own names, listed in the ICANN section of the Public Suffix List
// ("co.uk", "com.au") or in its private section ("github.io",
// "s3.amazonaws.com": hosting providers whose customers each own a name
// below it). A name the list does not know is not a public suffix, except
// a single label (a top-level domain, listed or not). The second result
// says which of these it is, for an error message.
func PublicSuffix(name string) (bool, string) {
	if name == "" {
		return false, ""
	}
	if !strings.Contains(name, ".") {
		return true, "a top-level domain"
	}
	// The list's default rule makes an unlisted top-level domain the
	// suffix of every name under it, with icann false: a name with a dot
	// is a suffix only when the list says so, that is when the answer is
	// name itself.
	ps, icann := publicsuffix.PublicSuffix(name)
	if ps != name {
		return false, ""
	}
	if icann {
		return true, "a public suffix (ICANN section of the Public Suffix List)"
	}
	return true, "a public suffix (private section of the Public Suffix List: a provider whose customers each own a name below it)"
}

// probe is a label no exception rule of the Public Suffix List names.
const probe = "tlsdefault-probe"

// WildcardTooBroad reports whether the pattern "*." + base, with base in
// the form Normalize returns, would match hosts of unrelated owners: base
// is a public suffix (see [PublicSuffix]), or the list has a wildcard rule
// for the names below base ("*.kawasaki.jp", "*.compute.amazonaws.com"),
// so that each name the pattern matches is itself a public suffix. The
// other results are for an error message: why, and a pattern one owner
// could have instead.
func WildcardTooBroad(base string) (tooBroad bool, why, instead string) {
	if ok, what := PublicSuffix(base); ok {
		return true, fmt.Sprintf("%q is %s", base, what), "*.example." + base
	}
	if ok, what := PublicSuffix(probe + "." + base); ok {
		what = strings.TrimPrefix(what, "a public suffix ")
		return true, fmt.Sprintf("every name directly below %q is a public suffix, by a wildcard rule %s", base, what), "*.example.<name>." + base
	}
	return false, "", ""
}
