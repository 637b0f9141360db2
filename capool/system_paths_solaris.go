package capool

// The files crypto/x509 reads on Solaris and illumos (root_solaris.go).
var (
	systemCertFiles = []string{
		"/etc/certs/ca-certificates.crt",     // Solaris 11.2+
		"/etc/ssl/certs/ca-certificates.crt", // Joyent SmartOS
		"/etc/ssl/cacert.pem",                // OmniOS
	}
	systemCertDirs = []string{
		"/etc/certs/CA",
	}
)
