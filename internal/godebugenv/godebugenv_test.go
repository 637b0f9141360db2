package godebugenv

import "testing"

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		env, def string
		value    string
		src      Source
	}{
		{"", "", "", Unset},
		{"tlssha1=1", "", "1", Env},
		{"", "tlssha1=1", "1", Default},
		{"tlssha1=0", "tlssha1=1", "0", Env},
		{"tlssha1=1,tlssha1=0", "", "0", Env},
		{"tlssha1=0,http2debug=1,tlssha1=1", "", "1", Env},
		{"x509sha1=1", "tlssha1=1,tlssha1=0", "0", Default},
		{"tlssha1=1#0110", "", "1", Env},
		{"tlssha1", "tlssha1=1", "1", Default},
		{"tlssha11=1, tlssha1=1", "", "", Unset},
		{"tlssha1=1=2", "", "1=2", Env},
	} {
		v, src := lookup("tlssha1", tc.env, tc.def)
		if v != tc.value || src != tc.src {
			t.Errorf("lookup(env %q, default %q) = %q, %v; want %q, %v", tc.env, tc.def, v, src, tc.value, tc.src)
		}
	}
}

func TestLookupEnv(t *testing.T) {
	t.Setenv("GODEBUG", "tlssha1=1")
	if v, src := Lookup("tlssha1"); v != "1" || src != Env {
		t.Fatalf("Lookup = %q, %v", v, src)
	}
}
