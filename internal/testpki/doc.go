// Package testpki generates throwaway X.509 PKI in memory for tests.
//
// It is used only from _test.go files. Nothing is read from or written to
// disk unless a test asks for it with [CA.WriteFile] or [Leaf.WriteFiles],
// and then only into a directory the test owns (normally t.TempDir()).
//
// Every function that can fail takes a [testing.TB], calls t.Helper and
// reports failure with t.Fatal; nothing panics.
//
// # Typical use
//
//	ca := testpki.NewCA(t)
//	srv := ca.Server(t)                 // SANs 127.0.0.1, ::1, localhost
//	cli := ca.Client(t, "alice")
//	serverConf := &tls.Config{
//		Certificates: []tls.Certificate{srv.TLS()},
//		ClientCAs:    ca.Pool(),
//		ClientAuth:   tls.RequireAndVerifyClientCert,
//	}
//	clientConf := &tls.Config{
//		RootCAs:      ca.Pool(),
//		Certificates: []tls.Certificate{cli.TLS()},
//		ServerName:   "localhost",
//	}
//
// An intermediate is one call away; its leaves carry the intermediate in
// [Leaf.Chain], [Leaf.TLS] and [Leaf.CertPEM], while [CA.Pool] on the
// intermediate still holds only the root:
//
//	leaf := testpki.NewCA(t).Intermediate(t).Server(t, "example.test")
//
// # Defaults
//
// Keys are ECDSA P-256, generated fresh for every certificate. Certificates
// are valid from one hour ago until 24 hours from now and have a random
// 128-bit serial number and a Subject Key Identifier (SHA-1 of the public
// key, RFC 5280 method 1). CAs are IsCA with KeyUsageCertSign|KeyUsageCRLSign
// and no path length limit, so intermediates may be chained. Each CA gets a
// unique common name ("tlsdefault test CA <n>"). Leaves get
// KeyUsageDigitalSignature (plus KeyUsageKeyEncipherment for RSA keys) and
// the extended key usage for their purpose. The template choices are those
// of package internal/pki, which the tlsdefault command's throwaway CA uses
// too.
//
// # Negative cases
//
// Options produce certificates that a strict peer must reject:
// [RSABits](1024) and [ECDSACurve](elliptic.P224()) for small keys,
// [SignatureAlgorithm](x509.SHA1WithRSA) for SHA-1 signatures,
// [Expired], [NotYetValid], [WrongHost], and [ExtKeyUsage] for a wrong
// purpose (for example a client-auth-only server certificate).
//
// SHA-1: Go still signs with SHA-1 (it only refuses to verify it), so
//
//	rsaCA := testpki.NewCA(t, testpki.RSABits(2048))
//	leaf := rsaCA.Issue(t, testpki.SignatureAlgorithm(x509.SHA1WithRSA))
//
// gives a leaf whose Cert.SignatureAlgorithm is x509.SHA1WithRSA. The issuer
// key must match the algorithm family: RSA issuers for SHA1WithRSA, ECDSA
// issuers (the default) for ECDSAWithSHA1. MD5 signing is refused by Go and
// fails the test.
//
// RSA keys under 1024 bits need GODEBUG=rsa1024min=0 in the test binary's
// environment; otherwise crypto/rsa refuses to generate them and the test
// fails with a message saying so.
//
// # RSA key reuse
//
// RSA key generation is slow, so RSA keys are cached per process and per bit
// size and reused: one key for all root CAs, one for each intermediate depth,
// and one for all leaves. Certificates in a single chain therefore never share
// a key, but two RSA leaves of the same size DO share one. Do not use RSA
// leaves for "certificate and key do not match" tests; use the default ECDSA
// keys, which are always fresh. Different CAs stay distinguishable because
// each has a unique subject name.
//
// # Concurrency
//
// All functions and methods are safe to call from parallel tests. CA and Leaf
// values are not modified after they are returned; do not modify them either.
package testpki
