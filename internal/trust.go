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
	if !s.HasTrustSource() {
		if !defaultSystem {
			return nil, nil
		}
		return capool.System()
	}
	var pools []*capool.Pool
	for _, f := range s.CAFiles {
		p, err := capool.Load(capool.Sources{CAFile: f})
		if err != nil {
			return nil, wrapTrust("WithCAFile", err)
		}
		pools = append(pools, p)
	}
	for _, d := range s.CAPaths {
		p, err := capool.Load(capool.Sources{CAPath: d})
		if err != nil {
			return nil, wrapTrust("WithCAPath", err)
		}
		pools = append(pools, p)
	}
	for _, b := range s.CAData {
		p, err := capool.Load(capool.Sources{CAData: b})
		if err != nil {
			return nil, wrapTrust("WithCAData", err)
		}
		pools = append(pools, p)
	}
	pools = append(pools, s.Pools...)
	if s.SystemRoots {
		p, err := capool.System()
		if err != nil {
			return nil, wrapTrust("WithSystemRoots", err)
		}
		pools = append(pools, p)
	}
	return capool.Merge(pools...), nil
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
