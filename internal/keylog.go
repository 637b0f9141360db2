package internal

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// The key log is process-wide by nature: the SSLKEYLOGFILE variable names
// one file for the whole process, as in Python, curl and browsers. The file
// is opened once (append, mode 0600) and shared by every configuration, and
// the warning is printed once per process.
var keyLog struct {
	once sync.Once
	w    io.Writer
}

// Stderr is where the key log warning goes (tests replace it).
var Stderr io.Writer = os.Stderr

// KeyLogWriter returns the writer for tls.Config.KeyLogWriter when the
// SSLKEYLOGFILE environment variable names a file, and nil otherwise.
func KeyLogWriter() io.Writer {
	name := os.Getenv("SSLKEYLOGFILE")
	if name == "" {
		return nil
	}
	keyLog.once.Do(func() {
		if fi, err := os.Stat(name); err == nil && !fi.Mode().IsRegular() {
			// A FIFO would block here until a reader comes.
			fmt.Fprintf(Stderr, "tlsdefault: warning: SSLKEYLOGFILE names %s, which is not a regular file; TLS secrets are not logged\n", name)
			return
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			fmt.Fprintf(Stderr, "tlsdefault: warning: SSLKEYLOGFILE is set but %v; TLS secrets are not logged\n", err)
			return
		}
		keyLog.w = &lockedWriter{w: f}
		fmt.Fprintf(Stderr, "tlsdefault: warning: SSLKEYLOGFILE is set: TLS session secrets are written to %s; anyone who can read it can decrypt this traffic\n", name)
	})
	return keyLog.w
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
