//go:build !race

package tlsdefault_test

const raceEnabled = false
