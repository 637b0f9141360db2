package internal

import (
	"crypto/tls"
	"crypto/x509"
	"unsafe"
)

// SameHook reports whether a and b are the same function value: the value
// a hook field of a config was set to, copied (by Clone, or by assignment)
// but not replaced. Go does not compare func values; a func value is one
// pointer to its closure, so two values with the same pointer are the same
// function with the same captured variables (a method value bound to
// another receiver, or another closure, has another pointer). A false
// result only makes the caller run its checks again: it is never unsafe.
func SameHook(a, b func(tls.ConnectionState) error) bool {
	if a == nil || b == nil {
		return false
	}
	return funcPointer(unsafe.Pointer(&a)) == funcPointer(unsafe.Pointer(&b))
}

// SamePeerHook is SameHook for VerifyPeerCertificate hooks.
func SamePeerHook(a, b func([][]byte, [][]*x509.Certificate) error) bool {
	if a == nil || b == nil {
		return false
	}
	return funcPointer(unsafe.Pointer(&a)) == funcPointer(unsafe.Pointer(&b))
}

// funcPointer reads the closure pointer of the func value at p.
func funcPointer(p unsafe.Pointer) unsafe.Pointer { return *(*unsafe.Pointer)(p) }
