// Package sha1default holds only a test: a test binary whose default
// GODEBUG (set by a //go:debug directive in its test file) has tlssha1=1,
// to check that the constructors of package tlsdefault read the binary's
// default GODEBUG as well as the environment.
package sha1default
