module github.com/tlsdefault/tlsdefault/interop

go 1.26.0

require (
	github.com/tlsdefault/tlsdefault v0.0.0
	golang.org/x/crypto v0.59.0
)

require (
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	golang.org/x/crypto/x509roots/fallback v0.0.0-20261030153154-30a33513ff6d // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/tlsdefault/tlsdefault => ../
