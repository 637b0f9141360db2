//go:build race

package tlsdefault_test

// raceEnabled is set when the tests run under the race detector, which
// slows handshakes several times; load tests then use fewer clients.
const raceEnabled = true
