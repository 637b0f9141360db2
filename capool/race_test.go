//go:build race

package capool

const raceEnabled = true
