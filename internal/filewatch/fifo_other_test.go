//go:build !unix

package filewatch_test

import "errors"

func mkfifo(string) error { return errors.New("no FIFOs") }
