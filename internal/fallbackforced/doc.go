// Package fallbackforced holds only a test (third red-team pass): a test
// binary that registers golang.org/x/crypto/x509roots/fallback, as many
// programs built for scratch containers do, and whose default GODEBUG
// (a //go:debug directive in its test file) has x509usefallbackroots=1,
// to see which roots the default client of package tlsdefault trusts.
package fallbackforced
