package main

import (
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/tlsdefault/tlsdefault"
	"github.com/tlsdefault/tlsdefault/legacy"
)

// The flags that several commands share, and the rules every command's
// flags follow: a flag that takes one value is given once (a repeat is a
// usage error, not "the last one wins"), a flag that names a file or a host
// is not empty, and the library's messages are told in the flags' words.

// trustFlags are --cafile, --capath, --cadata-file and --system: what get
// and pool trust, and what serve verifies client certificates against.
type trustFlags struct {
	cafile, capath, cadataFile string
	system                     bool
}

func (t *trustFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.cafile, "cafile", "", "")
	fs.StringVar(&t.capath, "capath", "", "")
	fs.StringVar(&t.cadataFile, "cadata-file", "", "")
	fs.BoolVar(&t.system, "system", false, "")
}

// trustFlagNames are the names register gives, for checkEmpty.
var trustFlagNames = []string{"cafile", "capath", "cadata-file"}

// given reports whether any trust flag was given.
func (t *trustFlags) given() bool {
	return t.cafile != "" || t.capath != "" || t.cadataFile != "" || t.system
}

// explicit reports whether a file or directory source was given.
func (t *trustFlags) explicit() bool {
	return t.cafile != "" || t.capath != "" || t.cadataFile != ""
}

// legacyFlags are --legacy and --legacy-host, shared by get and serve.
type legacyFlags struct {
	all   bool
	hosts stringList
}

func (l *legacyFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&l.all, "legacy", false, "")
	fs.Var(&l.hosts, "legacy-host", "")
}

// on reports whether legacy mode was asked for.
func (l *legacyFlags) on() bool { return l.all || len(l.hosts) > 0 }

// check rejects --legacy with --legacy-host: --legacy allows every host,
// so the two together say two different things.
func (l *legacyFlags) check(cmd string) error {
	if l.all && len(l.hosts) > 0 {
		return usageErrorf("%s: --legacy and --legacy-host contradict each other (--legacy allows every host); give one of them", cmd)
	}
	return nil
}

// option returns the legacy.Allow option for the flags, warning on stderr,
// or nil.
func (l *legacyFlags) option(stderr io.Writer, extra ...legacy.Scope) tlsdefault.Option {
	if !l.on() {
		return nil
	}
	scopes := append([]legacy.Scope{legacy.WarnTo(stderr)}, extra...)
	if len(l.hosts) > 0 {
		scopes = append(scopes, legacy.ForHosts(l.hosts...))
	}
	return legacy.Allow(scopes...)
}

// stringList is a repeatable string flag (--legacy-host).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
func (l *stringList) repeatable()        {}

// onceValue wraps the value of a flag that takes one value, so that
// giving it twice is an error instead of the second silently winning.
type onceValue struct {
	flag.Value
	name     string
	set      bool
	repeated *string // the first flag given twice, for parseFlags
}

var errRepeated = errors.New("given twice")

func (o *onceValue) Set(s string) error {
	if o.set {
		if *o.repeated == "" {
			*o.repeated = o.name
		}
		return errRepeated
	}
	o.set = true
	return o.Value.Set(s)
}

// IsBoolFlag keeps "-v" working without a value for a wrapped bool flag.
func (o *onceValue) IsBoolFlag() bool {
	b, ok := o.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// onlyOnce wraps every flag of fs that is not repeatable in a onceValue
// that records in *repeated the name of a flag given twice.
func onlyOnce(fs *flag.FlagSet, repeated *string) {
	fs.VisitAll(func(f *flag.Flag) {
		switch f.Value.(type) {
		case interface{ repeatable() }, *onceValue:
			return
		}
		f.Value = &onceValue{Value: f.Value, name: f.Name, repeated: repeated}
	})
}

// dashed is a flag name as the usage writes it: -o and -v take one dash,
// the others two.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// emptyWhat says what an empty flag should have named.
var emptyWhat = map[string]string{
	"addr":        "an address, as in 127.0.0.1:8443",
	"connect-to":  "an address, as in 127.0.0.1:8443",
	"cafile":      "a file name",
	"cadata-file": "a file name",
	"cert":        "a file name",
	"key":         "a file name",
	"o":           "a file name",
	"capath":      "a directory name",
	"dir":         "a directory name",
	"dir-out":     "a directory name",
	"legacy-host": "a host name",
}

// checkEmpty rejects flags set to an empty string: an empty source never
// means "the system store" (Python's cafile="" does; tlsdefault does not).
func checkEmpty(fs *flag.FlagSet, names ...string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		for _, n := range names {
			if f.Name == n && f.Value.String() == "" {
				err = usageErrorf("%s: %s is empty; give %s", fs.Name(), dashed(n), emptyWhat[n])
			}
		}
	})
	return err
}

// libWords tells the library's messages, which speak of its API
// (WithCAFile, legacy.ForHosts), in the command's flags (--cafile,
// --legacy-host). It holds the files the flags named, so that a message
// about a file names the flag that gave it.
type libWords struct {
	trust     *trustFlags
	cert, key string
}

// apiNames maps the library's option names to the flags that set them,
// longest first.
var apiNames = strings.NewReplacer(
	"legacy.Allow(legacy.ForHosts(...))", "--legacy-host HOST",
	"legacy.Allow(legacy.ForHosts(…))", "--legacy-host HOST",
	"legacy.ForHosts", "--legacy-host",
	"legacy.Allow", "--legacy",
	"WithCAFile, WithCAPath or WithCAData", "--cafile, --capath or --cadata-file",
	"WithCAFile", "--cafile",
	"WithCAPath", "--capath",
	"WithCAData", "--cadata-file",
	"WithSystemRoots", "--system",
	"WithClientAuth", "--client-auth",
	"WithKeyPairFiles", "--cert and --key",
	"WithHandshakeTimeout", "--timeout",
	"give a file as cafile", "give a file as --cafile",
	"give a directory as capath", "give a directory as --capath",
)

// rewrite returns msg in flag words.
func (w libWords) rewrite(msg string) string {
	for {
		rest := strings.TrimPrefix(msg, "tlsdefault: ")
		rest = strings.TrimPrefix(rest, "capool: ")
		if rest == msg {
			break
		}
		msg = rest
	}
	for _, r := range []struct{ from, to string }{
		{"WithCAFile: capool: cafile ", "--cafile "},
		{"WithCAPath: capool: capath ", "--capath "},
		{"cafile ", "--cafile "},
		{"capath ", "--capath "},
		{"legacy: ForHosts: ", "--legacy-host: "},
	} {
		if rest, ok := strings.CutPrefix(msg, r.from); ok {
			return apiNames.Replace(r.to + rest)
		}
	}
	if rest, ok := strings.CutPrefix(msg, "WithKeyPairFiles: "); ok {
		if tail, ok := strings.CutPrefix(rest, w.cert+", "+w.key+": "); ok && w.cert != "" {
			switch {
			case strings.Contains(tail, "in certificate input"):
				return "--cert " + w.cert + ": " + apiNames.Replace(tail)
			case strings.Contains(tail, "in key input"):
				return "--key " + w.key + ": " + apiNames.Replace(tail)
			}
			return "--cert " + w.cert + " and --key " + w.key + ": " + apiNames.Replace(tail)
		}
		switch {
		case w.cert != "" && strings.HasPrefix(rest, w.cert+": ") && w.cert != w.key:
			return "--cert " + apiNames.Replace(rest)
		case w.key != "" && strings.HasPrefix(rest, w.key+": ") && w.cert != w.key:
			return "--key " + apiNames.Replace(rest)
		}
		return "--cert and --key: " + apiNames.Replace(rest)
	}
	if w.trust != nil && w.trust.cadataFile != "" {
		for _, p := range []string{"WithCAData: capool: cadata", "cadata"} {
			if rest, ok := strings.CutPrefix(msg, p); ok {
				return "--cadata-file " + w.trust.cadataFile + apiNames.Replace(rest)
			}
		}
	}
	return apiNames.Replace(msg)
}

// flagWords is libWords{trust: t}.rewrite(msg).
func flagWords(msg string, t *trustFlags) string {
	return libWords{trust: t}.rewrite(msg)
}

// parseFlagsError turns an error of the flag package into a usage error
// in the command's words.
func parseFlagsError(fs *flag.FlagSet, err error, repeated string) error {
	if repeated != "" {
		return usageErrorf("%s: %s given twice; it takes one value, give it once", fs.Name(), dashed(repeated))
	}
	msg := longFlag.ReplaceAllString(err.Error(), "$1--$2")
	return usageErrorf("%s: %s (see 'tlsdefault %s --help')", fs.Name(), msg, fs.Name())
}

// checkFile checks, before anything is done, that a flag names an
// existing file, and says which flag when it does not.
func checkFile(cmd, name, path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return usageErrorf("%s: %s %s: %v", cmd, dashed(name), path, pathless(err))
	case fi.IsDir():
		return usageErrorf("%s: %s %s is a directory; give a file", cmd, dashed(name), path)
	}
	return nil
}

// checkDir checks that a flag names a directory. With create, it may also
// name one that does not exist yet (the command makes it), but not a file.
func checkDir(cmd, name, path string, create bool) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && !fi.IsDir():
		return usageErrorf("%s: %s %s is not a directory", cmd, dashed(name), path)
	case err == nil:
		return nil
	case create && errors.Is(err, fs.ErrNotExist):
		return nil
	}
	return usageErrorf("%s: %s %s: %v", cmd, dashed(name), path, pathless(err))
}
