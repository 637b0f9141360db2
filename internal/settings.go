// Package internal holds what the packages of tlsdefault share: the
// defaults, the settings that options write, the chain policy, the
// explanation of failed handshakes and the reloading of key pairs.
package internal

import (
	"crypto/tls"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
	"github.com/tlsdefault/tlsdefault/internal/legacyhook"
)

// Settings is what the options of tlsdefault (and of package legacy) write
// to. Only packages of this module can name it, which seals the Option
// interface of the root package.
type Settings struct {
	CAFiles     []string
	CAPaths     []string
	CAData      [][]byte
	Pools       []*capool.Pool
	SystemRoots bool

	Certificates []tls.Certificate
	KeyPairFiles [][2]string

	ClientAuth    tls.ClientAuthType
	ClientAuthSet bool

	MinVersion uint16

	HandshakeTimeout time.Duration
	MaxConns         int
	ErrorLog         *log.Logger

	TicketKeyFile string       // WithSessionTicketKeyFile (server)
	Logger        *slog.Logger // WithLogger

	// ReloadInterval, when positive, replaces ReloadInterval for the
	// files watched (tests only: no option sets it).
	ReloadInterval time.Duration

	// Legacy is set only by package legacy (legacy.Allow): the one way to
	// go below the defaults. The root package only calls its methods.
	Legacy legacyhook.Hook

	// Certificate sources, application protocols, peer checks and key
	// passwords (WithCertificateSource, WithALPN, WithPeerCheck,
	// WithKeyPassword).
	CertSource  CertSource
	ALPN        []string
	PeerChecks  []func(tls.ConnectionState) error
	KeyPassword func() ([]byte, error)

	// Errs collects the errors of options; constructors return them.
	Errs []error
}

// Errorf records an option error, prefixed with the package and the name of
// the option.
func (s *Settings) Errorf(format string, args ...any) {
	s.Errs = append(s.Errs, fmt.Errorf("tlsdefault: "+format, args...))
}
