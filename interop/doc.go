// Package interop holds end-to-end tests of tlsdefault against heavy
// peers that the library itself must not depend on: an ACME server
// (Let's Encrypt's Pebble) driving golang.org/x/crypto/acme/autocert and
// github.com/caddyserver/certmagic (an on-demand *certmagic.Config) through
// WithCertificateSource and WithALPN, each obtaining a certificate by
// TLS-ALPN-01 answered on the library's listener. It is a module of its
// own, so that users of tlsdefault never download these dependencies.
//
// Run it with ../.ci/interop.sh, which installs Pebble v2.10.3 when it is
// missing, or by hand with pebble and pebble-challtestsrv on PATH:
//
//	cd interop && go test ./...
//
// Under CI=true a missing Pebble is a failure, not a skip.
package interop
