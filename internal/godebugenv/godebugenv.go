// Package godebugenv reads a GODEBUG setting the way the Go runtime
// resolves it for the running program, so that a constructor can refuse a
// setting that would weaken it.
//
// A setting comes from the GODEBUG environment variable or, when that does
// not name it, from the binary's default GODEBUG (what the go line and the
// godebug lines of the main module's go.mod and the //go:debug directives
// of the main package chose; runtime/debug.BuildInfo records it as the
// setting "DefaultGODEBUG"). Within each, the last occurrence wins, as in
// package internal/godebug of the standard library.
//
// This package imports only the standard library.
package godebugenv

import (
	"os"
	"runtime/debug"
	"strings"
	"sync"
)

// Source says where a setting was found.
type Source int

const (
	// Unset: neither the environment nor the binary's default names it.
	Unset Source = iota
	// Env: the GODEBUG environment variable.
	Env
	// Default: the binary's default GODEBUG.
	Default
)

// String describes the source for an error message.
func (s Source) String() string {
	switch s {
	case Env:
		return "the GODEBUG environment variable"
	case Default:
		return "the program's default GODEBUG (a godebug line in its go.mod or a //go:debug directive in its main package)"
	}
	return "no GODEBUG setting"
}

// defaultGODEBUG is the binary's default GODEBUG, read once: it is fixed
// when the binary is built.
var defaultGODEBUG = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "DefaultGODEBUG" {
			return s.Value
		}
	}
	return ""
})

// Lookup returns the value of the GODEBUG setting name for this process
// now, and where it came from. A value of the form "v#pattern" (for
// golang.org/x/tools/cmd/bisect) is returned as "v".
func Lookup(name string) (string, Source) {
	return lookup(name, os.Getenv("GODEBUG"), defaultGODEBUG())
}

// Settings is the GODEBUG of the process at one moment, for reading
// several settings with one read of the environment.
type Settings struct{ env, def string }

// Now returns the GODEBUG of this process now.
func Now() Settings { return Settings{os.Getenv("GODEBUG"), defaultGODEBUG()} }

// Lookup is the package's Lookup, in these settings.
func (s Settings) Lookup(name string) (string, Source) { return lookup(name, s.env, s.def) }

// lookup resolves name in env, then in def.
func lookup(name, env, def string) (string, Source) {
	if v, ok := find(name, env); ok {
		return v, Env
	}
	if v, ok := find(name, def); ok {
		return v, Default
	}
	return "", Unset
}

// find returns the last value given to name in a GODEBUG string
// ("k=v,k2=v2"): the name runs to the first "=", and the value stops at a
// "#".
func find(name, s string) (string, bool) {
	value, found := "", false
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k != name {
			continue
		}
		if i := strings.IndexByte(v, '#'); i >= 0 {
			v = v[:i]
		}
		value, found = v, true
	}
	return value, found
}
