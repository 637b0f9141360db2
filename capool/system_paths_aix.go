package capool

// The files crypto/x509 reads on AIX (root_aix.go).
var (
	systemCertFiles = []string{"/var/ssl/certs/ca-bundle.crt"}
	systemCertDirs  = []string{"/var/ssl/certs"}
)
