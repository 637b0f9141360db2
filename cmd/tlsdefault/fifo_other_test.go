//go:build !unix

package main

import "errors"

// mkfifo makes a named pipe where there are any.
func mkfifo(path string) error { return errors.ErrUnsupported }
