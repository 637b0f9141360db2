package internal

import (
	"errors"

	"github.com/tlsdefault/tlsdefault/capool"
)

// HasTrustSource reports whether any trust option was given.
func (s *Settings) HasTrustSource() bool {
	return len(s.CAFiles) > 0 || len(s.CAPaths) > 0 || len(s.CAData) > 0 || len(s.Pools) > 0 || s.SystemRoots
}

// Trust builds the pool the settings ask for. With no trust option at all,
// and defaultSystem set (the client side), it is the system store. Each
// source is loaded on its own so that an error names it.
func (s *Settings) Trust(defaultSystem bool) (*capool.Pool, error) {
	p, _, err := s.trust(defaultSystem)
	return p, err
}

// trust is Trust, also telling which of the WithCAPath directories are
// hashed capaths (looked up by hash, not read).
func (s *Settings) trust(defaultSystem bool) (*capool.Pool, map[string]bool, error) {
	if !s.HasTrustSource() {
		if !defaultSystem {
			return nil, nil, nil
		}
		p, err := capool.System()
		return p, nil, err
	}
	var pools []*capool.Pool
	var hashed map[string]bool
	for _, f := range s.CAFiles {
		p, err := capool.Load(capool.Sources{CAFile: f})
		if err != nil {
			return nil, nil, wrapTrust("WithCAFile", err)
		}
		pools = append(pools, p)
	}
	for _, d := range s.CAPaths {
		p, err := capool.Load(capool.Sources{CAPath: d})
		if err != nil {
			return nil, nil, wrapTrust("WithCAPath", err)
		}
		if p.Lazy() {
			if hashed == nil {
				hashed = make(map[string]bool)
			}
			hashed[d] = true
		}
		pools = append(pools, p)
	}
	for _, b := range s.CAData {
		p, err := capool.Load(capool.Sources{CAData: b})
		if err != nil {
			return nil, nil, wrapTrust("WithCAData", err)
		}
		pools = append(pools, p)
	}
	pools = append(pools, s.Pools...)
	if s.SystemRoots {
		p, err := capool.System()
		if err != nil {
			return nil, nil, wrapTrust("WithSystemRoots", err)
		}
		pools = append(pools, p)
	}
	return capool.Merge(pools...), hashed, nil
}

// TrustError is the error of a trust option whose source cannot be loaded.
type TrustError struct {
	Option string
	Err    error
}

func (e *TrustError) Error() string { return "tlsdefault: " + e.Option + ": " + e.Err.Error() }
func (e *TrustError) Unwrap() error { return e.Err }

func wrapTrust(opt string, err error) error {
	var te *TrustError
	if errors.As(err, &te) {
		return err
	}
	return &TrustError{Option: opt, Err: err}
}
