package internal

import "sync"

// The Option type of the root package has only an unexported method, so
// that no code outside the module can implement it. Package legacy, which
// the root package never imports, builds its Option through this hook: the
// root package registers its constructor in its init function, which runs
// before any code of package legacy (legacy imports the root package).
// Nothing outside this module can import this package, so nothing outside
// can reach the hook.
var optionMaker struct {
	once sync.Once
	make func(func(*Settings)) any
}

// SetOptionMaker is called once, by the root package's init.
func SetOptionMaker(f func(func(*Settings)) any) {
	optionMaker.once.Do(func() { optionMaker.make = f })
}

// NewOption returns f as a tlsdefault.Option (typed any: this package
// cannot name it), or nil if the root package has not registered its
// constructor, which cannot happen in a program that imports it.
func NewOption(f func(*Settings)) any {
	if optionMaker.make == nil || f == nil {
		return nil
	}
	return optionMaker.make(f)
}
