module github.com/tlsdefault/tlsdefault

go 1.26.0

require (
	github.com/hashicorp/go-cleanhttp v0.5.2
	golang.org/x/crypto/x509roots/fallback v0.0.0-20261030153154-30a33513ff6d
	golang.org/x/net v0.62.0
)

require golang.org/x/text v0.43.0 // indirect
