package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"
)

// binary is the tlsdefault command, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tlsdefault-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "tlsdefault")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	// go test puts the go command's own GOROOT/bin first on PATH.
	goTool := "go"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, goTool, "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building tlsdefault: %v\n", err)
		return 1
	}
	return m.Run()
}

// result is what a run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

// commandEnv is the environment of the subprocesses: the test's, without
// the variables that would change what the command prints.
func commandEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SSLKEYLOGFILE=") || strings.HasPrefix(kv, "GODEBUG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// runBin runs the binary with args, bounded by a timeout.
func runBin(t *testing.T, args ...string) result {
	t.Helper()
	return runBinEnv(t, nil, args...)
}

func runBinEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = commandEnv(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("tlsdefault %s: timed out\nstderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("tlsdefault %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// runIn runs the command in this process, as main does.
func runIn(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func (r result) String() string {
	return fmt.Sprintf("exit code %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// server is a "tlsdefault serve" subprocess.
type server struct {
	url, dir string
	cmd      *exec.Cmd
	stderr   *syncBuffer
	done     chan error
}

// syncBuffer is the package's one synchronised buffer: a bytes.Buffer
// that a subprocess's output copier writes while the test reads it (the
// rest of a server's standard error, an openssl peer's output).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return new(syncBuffer) }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe starts "tlsdefault serve --addr 127.0.0.1:0 args..." and waits
// for the line that names the address bound. The server is stopped when the
// test ends.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = commandEnv()
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: newSyncBuffer(), done: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		pw.Close()
		s.done <- err
	}()
	t.Cleanup(func() { s.stop(t) })

	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.stderr, line)
			if dir, ok := strings.CutPrefix(line, "tlsdefault: wrote a throwaway CA and certificates to "); ok {
				s.dir = dir
			}
			if rest, ok := strings.CutPrefix(line, "tlsdefault: serving "); ok && !signalled {
				s.url, _, _ = strings.Cut(rest, " ")
				signalled = true
				close(found)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-found:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("serve exited early (%v):\n%s", err, s.stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not report its address within 15s:\n%s", s.stderr.String())
	}
	return s
}

// stop sends SIGTERM, waits a bounded time, then kills.
func (s *server) stop(t *testing.T) error {
	if s.cmd.ProcessState != nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		return err
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		err := <-s.done
		s.done <- err
		t.Errorf("serve did not stop within 10s of SIGTERM")
		return err
	}
}

func (s *server) file(name string) string { return filepath.Join(s.dir, name) }

// checkErrorLines checks the output rules: every line of stderr starts
// with "tlsdefault: ", and error and hint messages start lower case and
// end without a full stop.
func checkErrorLines(t *testing.T, stderr string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if line == "" {
			continue
		}
		for _, p := range []string{"tlsdefault: error: ", "tlsdefault: hint: "} {
			msg, ok := strings.CutPrefix(line, p)
			if !ok {
				continue
			}
			if r := []rune(msg)[0]; unicode.IsUpper(r) {
				t.Errorf("message starts upper case: %q", line)
			}
			if strings.HasSuffix(msg, ".") {
				t.Errorf("message ends with a full stop: %q", line)
			}
		}
	}
}

// writePEM writes certificates as one PEM file.
func writePEM(t *testing.T, path string, ders ...[]byte) string {
	t.Helper()
	var b bytes.Buffer
	for _, d := range ders {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: d})
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveTLS serves hello over a crypto/tls listener with cfg, on 127.0.0.1,
// until the test ends.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello from the old server\n") }),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          errorLog(io.Discard),
	}
	go srv.Serve(tls.NewListener(ln, cfg))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}
