package tlsdefault

import (
	"crypto/tls"
	"fmt"
	"log/slog"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/ticketkeys"
)

// ticketKeys keeps the session ticket keys of a server config in step with
// the file of WithSessionTicketKeyFile.
type ticketKeys struct {
	file *ticketkeys.File
	cfg  *tls.Config // the live config: SetSessionTicketKeys is safe on it
	logf func(format string, args ...any)
	lg   *slog.Logger // WithLogger, or nil
}

// useTicketKeys reads the file of WithSessionTicketKeyFile, sets its keys
// on cfg, and makes every ticket issued or presented first check the file
// (at most once per reload interval). Clones of cfg (such as the one a
// GetConfigForClient returns) keep the hooks, which use cfg's keys.
func (srv *server) useTicketKeys(cfg *tls.Config) error {
	path := srv.s.TicketKeyFile
	if path == "" {
		return nil
	}
	interval := internal.ReloadInterval
	if srv.s.ReloadInterval > 0 {
		interval = srv.s.ReloadInterval
	}
	f, err := ticketkeys.Open(path, interval)
	if err != nil {
		return fmt.Errorf("tlsdefault: WithSessionTicketKeyFile: %w", err)
	}
	tk := &ticketKeys{file: f, cfg: cfg, logf: errorLogf(srv.s), lg: srv.s.Logger}
	srv.tickets = tk
	cfg.SetSessionTicketKeys(f.Keys())
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		tk.refresh()
		return cfg.EncryptTicket(cs, ss)
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		tk.refresh()
		// A ticket no key opens is no error: the handshake goes on in full.
		return cfg.DecryptTicket(identity, cs)
	}
	return nil
}

// refresh re-reads the file if it changed; a broken file is reported once
// and the keys in use are kept.
func (tk *ticketKeys) refresh() {
	o := tk.file.Check()
	switch {
	case o.Reloaded():
		tk.cfg.SetSessionTicketKeys(tk.file.Keys())
		logReload(tk.lg, "ticket_keys", tk.file.Path, nil)
	case o.Err != nil && !o.Repeated:
		tk.logf("tlsdefault: WithSessionTicketKeyFile: keeping the previous session ticket keys: %v", o.Err)
		logReload(tk.lg, "ticket_keys", tk.file.Path, fmt.Errorf("WithSessionTicketKeyFile: %w", o.Err))
	}
}
