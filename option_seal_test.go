package tlsdefault_test

import (
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault"
)

// The reproduction of issue 11 item 18: a generic type whose Apply method
// takes whatever parameter type inference finds on a real option's method
// value, and sets the settings by reflection. It lowers the floor to TLS
// 1.0 without package legacy, if it compiles.
const forgeByInference = `package main

import (
	"crypto/tls"
	"fmt"
	"reflect"

	"github.com/tlsdefault/tlsdefault"
)

type forged[S any] struct{}

func (forged[S]) Apply(s S) {
	reflect.ValueOf(s).Elem().FieldByName("MinVersion").SetUint(tls.VersionTLS10)
}

func forge[S any](func(S)) forged[S] { return forged[S]{} }

func main() {
	var o tlsdefault.Option = forge(tlsdefault.WithSystemRoots().Apply)
	cfg, err := tlsdefault.ClientConfig(o)
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Printf("MinVersion %#04x\n", cfg.MinVersion)
}
`

// A program that uses the package as documented, to show that the
// module set-up of the test builds.
const useOptions = `package main

import (
	"fmt"

	"github.com/tlsdefault/tlsdefault"
)

func main() {
	cfg, err := tlsdefault.ClientConfig(tlsdefault.WithSystemRoots())
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Printf("MinVersion %#04x\n", cfg.MinVersion)
}
`

// Code outside the module cannot implement Option by type inference on a
// method value (the reproduction does not compile, while a normal program
// in the same module set-up does).
func TestOptionSealedAgainstInference(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("builds two programs; run without -short")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":        "module example.com/outsider\n\ngo 1.26\n\nrequire github.com/tlsdefault/tlsdefault v0.0.0\n\nreplace github.com/tlsdefault/tlsdefault => " + root + "\n",
		"go.sum":        string(sum),
		"forge/main.go": forgeByInference,
		"use/main.go":   useOptions,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(pkg string) (string, error) {
		cmd := exec.Command(goCmd, "run", "-mod=mod", "./"+pkg)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("use")
	if err != nil || !strings.Contains(out, "MinVersion 0x0303") {
		t.Fatalf("control program: %v\n%s", err, out)
	}
	out, err = run("forge")
	if err == nil {
		t.Fatalf("an Option forged outside the module compiled and ran:\n%s", out)
	}
	if !strings.Contains(out, "Apply") {
		t.Fatalf("forged Option failed for another reason than the missing method:\n%s", out)
	}
}

// Reflection cannot build a working Option either: a value made by
// reflect.New has no function to apply (and its field cannot be set), a
// struct that embeds an Option is refused, and neither panics.
func TestOptionSealedAgainstReflection(t *testing.T) {
	real := tlsdefault.WithMinVersion(tls.VersionTLS12)
	typ := reflect.TypeFor[tlsdefault.Option]()
	for i := range typ.NumMethod() {
		if m := typ.Method(i); m.PkgPath == "" {
			t.Fatalf("Option has the exported method %s: code outside the module can implement it", m.Name)
		}
	}
	rv := reflect.ValueOf(real)
	if rv.Kind() == reflect.Func {
		t.Fatal("Option's implementation is a func type: reflect.MakeFunc can make one with any body")
	}
	forged := reflect.New(rv.Type().Elem())
	for i := range forged.Elem().NumField() {
		f := forged.Elem().Field(i)
		if f.CanSet() || f.CanInterface() {
			t.Fatalf("field %d of Option's implementation can be set or read from outside", i)
		}
		if f.Kind() == reflect.Func {
			func() {
				defer func() { recover() }()
				f.Set(reflect.MakeFunc(f.Type(), func([]reflect.Value) []reflect.Value { return nil }))
				t.Fatal("reflection set the function of an Option")
			}()
		}
	}
	type embeds struct{ tlsdefault.Option }
	for name, o := range map[string]tlsdefault.Option{
		"reflect.New":  forged.Interface().(tlsdefault.Option),
		"embedded":     embeds{real},
		"embedded-nil": embeds{},
		"zero-pointer": reflect.Zero(rv.Type()).Interface().(tlsdefault.Option),
	} {
		if _, err := tlsdefault.ClientConfig(o); err == nil || !strings.Contains(err.Error(), "not made by package tlsdefault") {
			t.Errorf("%s: ClientConfig accepted a forged option: %v", name, err)
		}
		if _, err := tlsdefault.ServerConfig(o); err == nil {
			t.Errorf("%s: ServerConfig accepted a forged option", name)
		}
	}
}
