// Command tlsdefault does from the command line what package tlsdefault does
// in Go: fetch over HTTPS with the safe defaults and say why a connection
// fails (get), serve HTTPS (serve), list and check a trust store (pool),
// lay out a CA directory the way OpenSSL reads it (rehash), and show the
// defaults at work with no set-up at all (demo).
//
// Run "tlsdefault help" for the usage and the exit codes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/tlsdefault/tlsdefault/internal/safetext"
)

// Exit codes. They are part of the command's interface: scripts branch on
// them, and the usage text lists them.
const (
	exitOK         = 0 // success
	exitFailure    = 1 // TLS handshake, certificate verification, network or other run-time failure
	exitUsage      = 2 // bad command line: flags, arguments, conflicting flags, files given that cannot be used
	exitHTTPStatus = 3 // get: the server answered with an HTTP status of 400 or more
	exitPool       = 4 // pool: the pool is empty, or a trust source failed to load
)

// Version is the version "tlsdefault version" prints. It is normally taken
// from the build information; a release build may set it with
// -ldflags "-X main.Version=v1.2.3".
var Version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command line args and returns the exit code. Everything is
// written to stdout and stderr; nothing here calls os.Exit.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, shortUsage())
		return exitUsage
	}
	c, ok := lookup(args[0])
	if !ok {
		return report(usageErrorf("unknown command %q; the commands are %s (see 'tlsdefault help')", args[0], commandNames()), stderr)
	}
	return report(c.run(args[1:], stdout, stderr), stderr)
}

// cliError is an error with an exit code and hints, printed by report.
type cliError struct {
	code  int
	msgs  []string // "tlsdefault: error: " lines
	hints []string // "tlsdefault: hint: " lines
}

func (e *cliError) Error() string { return strings.Join(e.msgs, "; ") }

// usageErrorf is a command line mistake: one line, exit code 2.
func usageErrorf(format string, args ...any) error {
	return &cliError{code: exitUsage, msgs: []string{fmt.Sprintf(format, args...)}}
}

// errHelpShown is returned after --help printed the usage: exit 0.
var errHelpShown = errors.New("help shown")

// report prints err the way age does (lower case, no full stop, on standard
// error, "tlsdefault: error:" then "tlsdefault: hint:" lines) and returns
// the exit code for it.
func report(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelpShown) {
		return exitOK
	}
	var ce *cliError
	if !errors.As(err, &ce) {
		ce = &cliError{code: exitFailure, msgs: []string{err.Error()}}
	}
	for _, m := range ce.msgs {
		fmt.Fprintf(stderr, "tlsdefault: error: %s\n", outLine(m))
	}
	for _, h := range ce.hints {
		fmt.Fprintf(stderr, "tlsdefault: hint: %s\n", outLine(h))
	}
	if ce.code == exitOK {
		return exitFailure
	}
	return ce.code
}

// oneLine keeps a message on one line and drops a final full stop.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
	return strings.TrimSuffix(s, ".")
}

// maxLine bounds one line of a message; longer ones are cut with a marker.
const maxLine = 4096

// outLine is a message as report prints it: on one line, in the words of
// the command's flags (the library's messages name its options:
// WithCAFile becomes --cafile), with control characters escaped (a
// message may quote a peer) and at most maxLine bytes long.
func outLine(s string) string {
	return safetext.Line(oneLine(apiNames.Replace(s)), maxLine)
}

// warnf prints a warning line, as report prints an error (a warning may
// name a certificate's subject).
func warnf(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "tlsdefault: warning: %s\n", outLine(fmt.Sprintf(format, args...)))
}

// infof prints an informational line on standard error.
func infof(stderr io.Writer, format string, args ...any) {
	fmt.Fprintf(stderr, "tlsdefault: %s\n", safetext.Line(fmt.Sprintf(format, args...), maxLine))
}

// newFlagSet returns a FlagSet that reports nothing itself: parse errors
// come back as one usage line, and -h/--help prints usage to stdout.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args with fs, allowing flags after the positional
// arguments ("get URL -v") as well as before them; everything after "--" is
// positional. It returns the positional arguments.
func parseFlags(fs *flag.FlagSet, usage string, args []string, stdout io.Writer) ([]string, error) {
	var pos []string
	var repeated string
	onlyOnce(fs, &repeated)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage)
				return nil, errHelpShown
			}
			return nil, parseFlagsError(fs, err, repeated)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// longFlag finds the flag names in the flag package's messages ("flag
// provided but not defined: -frob"), to give them the two dashes the usage
// shows.
var longFlag = regexp.MustCompile(`(: |flag )-([a-z][a-z0-9-]+)`)

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version")
	pos, err := parseFlags(fs, versionUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("version: unexpected argument %q", pos[0])
	}
	fmt.Fprintln(stdout, versionString())
	return nil
}

// versionString is "tlsdefault v1.2.3 (go1.26.0 linux/amd64)", with the VCS
// revision for development builds.
func versionString() string {
	v := Version
	var extra []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" && (v == "" || v == "(devel)") {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if modified == "true" {
				rev += "+dirty"
			}
			extra = append(extra, "revision "+rev)
		}
	}
	switch v {
	case "":
		v = "unknown"
	case "(devel)":
		v = "devel"
	}
	extra = append([]string{runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH}, extra...)
	return fmt.Sprintf("tlsdefault %s (%s)", v, strings.Join(extra, ", "))
}

// errorLog returns a logger for the library and net/http that writes lines
// with the command's "tlsdefault: " prefix, once (the library's own
// messages already start with it), in flag words and with control
// characters escaped, as report does.
func errorLog(w io.Writer) *log.Logger {
	return log.New(prefixWriter{w}, "", 0)
}

type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	const prefix = "tlsdefault: "
	line := strings.TrimSuffix(string(b), "\n")
	line = safetext.Line(apiNames.Replace(strings.TrimPrefix(line, prefix)), maxLine)
	if _, err := io.WriteString(p.w, prefix+line+"\n"); err != nil {
		return 0, err
	}
	return len(b), nil
}
