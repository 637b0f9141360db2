package main

import (
	"fmt"
	"io"
	"strings"
)

// A command is one subcommand of tlsdefault. The table below is the only
// list of them: run dispatches on it, and the usage, "help COMMAND" and
// the message for an unknown command are made from it.
type command struct {
	name    string // as typed: "get"
	args    string // what follows the name in the usage: "[flags] URL"
	summary string // one line in the command list
	run     func(args []string, stdout, stderr io.Writer) error
	usage   string   // what 'tlsdefault NAME --help' and 'tlsdefault help NAME' print
	aliases []string // other spellings, not listed: "--version"
}

// commands is the command table, in the order of the usage. Adding a
// command is one entry here (with its run function and usage text in a
// file of its own).
var commands []command

func init() {
	commands = []command{
		{name: "get", args: "[flags] URL", summary: "fetch over HTTPS with the safe defaults", run: runGet, usage: getUsage},
		{name: "serve", args: "[flags]", summary: "serve HTTPS on 127.0.0.1:8443", run: runServe, usage: serveUsage},
		{name: "pool", args: "[flags]", summary: "list and check a trust store", run: runPool, usage: poolUsage},
		{name: "rehash", args: "DIR", summary: "make OpenSSL's <hash>.N links in DIR", run: runRehash, usage: rehashUsage},
		{name: "demo", summary: "show the defaults at work, no set-up", run: runDemo, usage: demoUsage},
		{name: "ticket-keys", args: "new|rotate FILE", summary: "make or rotate a fleet's session ticket keys", run: runTicketKeys, usage: ticketKeysUsage},
		{name: "version", summary: "print the version", run: runVersion, usage: versionUsage, aliases: []string{"-version", "--version"}},
		{name: "help", args: "[COMMAND]", summary: "this text, or a command's usage", run: runHelp, usage: helpUsage, aliases: []string{"-h", "-help", "--help"}},
	}
}

// lookup finds a command by name or alias.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
		for _, a := range c.aliases {
			if a == name {
				return c, true
			}
		}
	}
	return command{}, false
}

// commandNames is "get, serve, ..., demo and version".
func commandNames() string {
	var names []string
	for _, c := range commands {
		if c.name != "help" {
			names = append(names, c.name)
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// shortUsage is the command list, as printed with no arguments.
func shortUsage() string {
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name)+1+len(c.args))
	}
	var b strings.Builder
	b.WriteString("Usage:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "    tlsdefault %-*s    %s\n", width, strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	b.WriteString("\nRun 'tlsdefault help' for more, 'tlsdefault COMMAND --help' for a command.\n")
	return b.String()
}

func runHelp(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, longUsage())
		return nil
	}
	if len(args) > 1 {
		return usageErrorf("help: give one command, as in 'tlsdefault help get'")
	}
	c, ok := lookup(args[0])
	if !ok {
		return usageErrorf("help: unknown command %q; the commands are %s", args[0], commandNames())
	}
	fmt.Fprint(stdout, c.usage)
	return nil
}
