package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// hasControl reports a C0 or C1 control character, DEL or invalid UTF-8.
func hasControl(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x202e {
			return true
		}
	}
	return false
}

func TestQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"example.com", `"example.com"`},
		{"a\"b\\c", `"a\"b\\c"`},
		{"\x1b]0;evil\x07\x1b[2J", `"\x1b]0;evil\a\x1b[2J"`},
		{"line\nFAKE: verified OK", `"line\nFAKE: verified OK"`},
		{"\x7f\u0085\u009b", `"\x7f\u0085\u009b"`},
		{"\xff\xfe", `"\xff\xfe"`},
		{"rtl\u202eexe.txt", `"rtl\u202eexe.txt"`},
		{"héllo", `"héllo"`},
	} {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestQuoteCuts(t *testing.T) {
	long := strings.Repeat("a", 1000)
	got := Quote(long)
	if want := `"` + strings.Repeat("a", MaxLen) + `…(744 more bytes)"`; got != want {
		t.Errorf("Quote(1000 a) = %s", got)
	}
	// A cut never splits a rune.
	got = QuoteN("ééé", 3)
	if got != `"é…(4 more bytes)"` {
		t.Errorf("QuoteN(ééé, 3) = %s", got)
	}
}

func TestEscapeKeepsQuotes(t *testing.T) {
	if got := Escape(`x509: certificate is valid for "a", not "b"`, 200); got != `x509: certificate is valid for "a", not "b"` {
		t.Errorf("Escape changed clean text: %s", got)
	}
	if got := Escape("valid for \x1b[2J", 200); got != `valid for \x1b[2J` {
		t.Errorf("Escape = %s", got)
	}
}

func TestLine(t *testing.T) {
	if got := Line("short", 1024); got != "short" {
		t.Errorf("Line(short) = %q", got)
	}
	in := "tlsdefault: " + strings.Repeat("h2,", 20000) + "\x1b"
	got := Line(in, 1024)
	if len(got) > 1024 {
		t.Errorf("Line is %d bytes, want at most 1024", len(got))
	}
	if !strings.HasSuffix(got, " bytes]") || !strings.Contains(got, "…[cut: ") {
		t.Errorf("Line has no cut marker: %q", got[len(got)-40:])
	}
	if hasControl(got) {
		t.Errorf("Line kept a control byte")
	}
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "a", "\x1b[31m", "\xff", "é", strings.Repeat("x", 300), "\u0085\u202e"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 1<<16 {
			max = 1 + (max&0xffff)%4096
			if max < 1 {
				max = 1
			}
		}
		for _, out := range []string{QuoteN(s, max), Escape(s, max), Line(s, max+40)} {
			if hasControl(out) {
				t.Fatalf("control byte or invalid UTF-8 passed: %q -> %q", s, out)
			}
		}
		if l := Line(s, max+40); len(l) > max+40 {
			t.Fatalf("Line(%d) is %d bytes", max+40, len(l))
		}
	})
}
