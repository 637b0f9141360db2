package internal

import (
	_ "github.com/hashicorp/go-cleanhttp"
	_ "golang.org/x/crypto/x509roots/fallback/bundle"
	_ "golang.org/x/net/netutil"
)
