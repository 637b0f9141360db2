//go:build dragonfly || freebsd || netbsd || openbsd

package capool

// The files crypto/x509 reads on the BSDs (root_bsd.go), in its order.
var (
	systemCertFiles = []string{
		"/usr/local/etc/ssl/cert.pem",            // FreeBSD
		"/etc/ssl/cert.pem",                      // OpenBSD
		"/usr/local/share/certs/ca-root-nss.crt", // DragonFly
		"/etc/openssl/certs/ca-certificates.crt", // NetBSD
	}
	systemCertDirs = []string{
		"/etc/ssl/certs",         // FreeBSD 12.2+
		"/usr/local/share/certs", // FreeBSD
		"/etc/openssl/certs",     // NetBSD
	}
)
