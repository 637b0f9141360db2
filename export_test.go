package tlsdefault

import (
	"time"

	"github.com/tlsdefault/tlsdefault/internal"
)

// WithReloadInterval replaces the reload interval of the trust files
// (tests only), so that a test need not wait a second for a change.
func WithReloadInterval(d time.Duration) Option {
	return optionFunc(func(s *internal.Settings) { s.ReloadInterval = d })
}
