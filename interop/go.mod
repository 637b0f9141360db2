module github.com/tlsdefault/tlsdefault/interop

go 1.26.0

require (
	github.com/caddyserver/certmagic v0.25.6
	github.com/tlsdefault/tlsdefault v0.0.0
	go.uber.org/zap v1.28.0
	golang.org/x/crypto v0.59.0
)

require (
	github.com/caddyserver/zerossl v0.1.6 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/klauspost/cpuid/v2 v2.4.0 // indirect
	github.com/libdns/libdns v1.1.1 // indirect
	github.com/mholt/acmez/v3 v3.1.7 // indirect
	github.com/miekg/dns v1.1.73 // indirect
	github.com/zeebo/blake3 v0.2.4 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap/exp v0.3.0 // indirect
	golang.org/x/crypto/x509roots/fallback v0.0.0-20261030153154-30a33513ff6d // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/tlsdefault/tlsdefault => ../
