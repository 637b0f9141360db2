package internal

import (
	"crypto/tls"
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
	return *(*unsafe.Pointer)(unsafe.Pointer(&a)) == *(*unsafe.Pointer)(unsafe.Pointer(&b))
}
