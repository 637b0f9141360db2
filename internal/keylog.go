package internal

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// The key log is process-wide by nature: the SSLKEYLOGFILE variable names
// one file for the whole process, as in Python, curl and browsers. The file
// is opened once and shared by every configuration, and the warning is
// printed once per process.
//
// Whoever can read the file can decrypt every connection of the process, so
// it is opened with care (see openKeyLog, per platform): on Unix the last
// path component is not followed if it is a symbolic link (O_NOFOLLOW), and
// a file that is not a regular file, that another user owns, or that group
// or others may read is refused, with a warning; the program goes on
// without a key log. A new file is created with mode 0600.
var keyLog struct {
	once sync.Once
	w    io.Writer
}

// Stderr is where the key log warning goes (tests replace it).
var Stderr io.Writer = os.Stderr

// KeyLogWriter returns the writer for tls.Config.KeyLogWriter when the
// SSLKEYLOGFILE environment variable names a file that may hold the
// secrets, and nil otherwise.
func KeyLogWriter() io.Writer {
	name := os.Getenv("SSLKEYLOGFILE")
	if name == "" {
		return nil
	}
	keyLog.once.Do(func() {
		if f := openKeyLogWarn(name, Stderr); f != nil {
			keyLog.w = &lockedWriter{w: f}
		}
	})
	return keyLog.w
}

// openKeyLogWarn opens the key log named name and writes to stderr either
// the warning that secrets are logged, or why they are not. It returns nil
// when the file was refused.
func openKeyLogWarn(name string, stderr io.Writer) *os.File {
	f, err := openKeyLog(name)
	if err != nil {
		fmt.Fprintf(stderr, "tlsdefault: warning: SSLKEYLOGFILE is set, but %v; TLS secrets are not logged\n", err)
		return nil
	}
	fmt.Fprintf(stderr, "tlsdefault: warning: SSLKEYLOGFILE is set: TLS session secrets are written to %q; anyone who can read it can decrypt this traffic\n", name)
	return f
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
