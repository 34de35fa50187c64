package netlimit

import (
	"net/netip"
	"sync"
	"time"
)

// RateLimit is a token bucket: Burst requests at once, then Rate a second.
type RateLimit struct {
	Rate  float64
	Burst int
}

// PerAddress limits requests per source address with one token bucket
// each. Its table is bounded: buckets that have refilled are forgotten
// (a full bucket is what a new address gets anyway), and when the table is
// full of addresses still draining theirs, new addresses share one bucket,
// so many addresses can neither exhaust memory nor escape the limit.
// IPv6 addresses are limited per /64, which one host often holds whole.
type PerAddress struct {
	limit RateLimit
	max   int
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[netip.Addr]*bucket
	overflow  bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewPerAddress returns a limiter keeping at most maxAddrs buckets; now is
// time.Now when nil.
func NewPerAddress(limit RateLimit, maxAddrs int, now func() time.Time) *PerAddress {
	if now == nil {
		now = time.Now
	}
	p := &PerAddress{limit: limit, max: maxAddrs, now: now, buckets: make(map[netip.Addr]*bucket)}
	p.overflow.tokens = float64(limit.Burst)
	return p
}

// Allow takes a token from addr's bucket (an IP address, as in
// RequestInfo.SourceIP) and reports whether there was one.
func (p *PerAddress) Allow(addr string) bool {
	key, err := netip.ParseAddr(addr)
	if err != nil {
		key = netip.Addr{} // unparseable: all such share a bucket
	} else if key = key.Unmap(); key.Is6() {
		prefix, _ := key.Prefix(64)
		key = prefix.Addr()
	}
	now := p.now()
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buckets[key]
	if b == nil {
		if len(p.buckets) >= p.max {
			p.sweep(now)
		}
		if len(p.buckets) >= p.max {
			b = &p.overflow
		} else {
			b = &bucket{tokens: float64(p.limit.Burst), last: now}
			p.buckets[key] = b
		}
	}
	return p.take(b, now)
}

func (p *PerAddress) take(b *bucket, now time.Time) bool {
	p.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (p *PerAddress) refill(b *bucket, now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.tokens+dt*p.limit.Rate, float64(p.limit.Burst))
	}
	b.last = now
}

// sweep forgets the buckets that have refilled, at most once a second so a
// full table of busy addresses costs one scan a second, not one a request.
func (p *PerAddress) sweep(now time.Time) {
	if now.Sub(p.lastSweep) < time.Second {
		return
	}
	p.lastSweep = now
	for k, b := range p.buckets {
		p.refill(b, now)
		if b.tokens >= float64(p.limit.Burst) {
			delete(p.buckets, k)
		}
	}
}

// Len is the number of addresses with a bucket.
func (p *PerAddress) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.buckets)
}
