package tlsdefault

import (
	"net"
	"time"
)

// SetTicketKeyReload makes a listener from Listen or NewListener check its
// session ticket key file at every ticket, so that tests need not wait for
// the reload interval.
func SetTicketKeyReload(ln net.Listener, interval time.Duration) {
	ln.(*listener).srv.tickets.file.SetClock(time.Now, interval)
}
