package legacy

import (
	"container/list"
	"sync"
)

// MaxPeers is how many peers a [Counter] keeps a count for: the ones seen
// most recently. Totals stay exact when older peers are dropped.
const MaxPeers = 512

// A Counter counts legacy handshakes, per peer and in total, so that an
// operator can see whether the old peer is still there and remove
// [Allow] once it is gone. Give it to Allow with [Observe]. The zero value
// is ready to use; a Counter must not be copied after first use.
//
// Its memory is bounded whatever the peers send: it keeps counts for the
// [MaxPeers] peers seen most recently, and a peer is named by a valid host
// name or, failing that, by its IP address, so that a client sending a new
// made-up SNI name on every connection is counted as one peer.
type Counter struct {
	mu    sync.Mutex
	n     int64
	last  Event
	peers map[string]*list.Element // of *peerEntry
	order list.List                // most recently seen first
}

// A PeerCount is what a [Counter] knows about one peer.
type PeerCount struct {
	// Count is the number of legacy handshakes with the peer.
	Count int64
	// Last is the latest of them.
	Last Event
}

type peerEntry struct {
	key string
	pc  PeerCount
}

func (c *Counter) add(ev Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.last = ev
	if c.peers == nil {
		c.peers = make(map[string]*list.Element)
	}
	key := peerKey(ev)
	e, ok := c.peers[key]
	if ok {
		c.order.MoveToFront(e)
	} else {
		if c.order.Len() >= MaxPeers {
			oldest := c.order.Back()
			delete(c.peers, oldest.Value.(*peerEntry).key)
			c.order.Remove(oldest)
		}
		e = c.order.PushFront(&peerEntry{key: key})
		c.peers[key] = e
	}
	pe := e.Value.(*peerEntry)
	pe.pc.Count++
	pe.pc.Last = ev
}

// peerKey names a peer: its host name when that is a valid one (lower
// case, without trailing dot), otherwise its IP address, otherwise what
// the event holds.
func peerKey(ev Event) string {
	if n, ok := matchName(ev.Host); ok {
		return n
	}
	if ev.RemoteAddr != "" {
		return addrHost(ev.RemoteAddr)
	}
	return ev.Host
}

// Count returns the number of legacy handshakes so far: exact, whatever
// [Counter.Peers] has dropped.
func (c *Counter) Count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Last returns the latest legacy handshake, and false if there was none.
func (c *Counter) Last() (Event, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.n > 0
}

// Peers returns a snapshot of the counts per peer, for the [MaxPeers] peers
// seen most recently, keyed by host name (the name dialled, or the SNI name
// received when it is a valid host name, in lower case) or, for a client
// that sent no SNI name or one that is no valid host name, by its IP
// address. The counts of the peers dropped to keep that bound are
// Count() minus the sum of these.
func (c *Counter) Peers() map[string]PeerCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]PeerCount, len(c.peers))
	for k, e := range c.peers {
		m[k] = e.Value.(*peerEntry).pc
	}
	return m
}
