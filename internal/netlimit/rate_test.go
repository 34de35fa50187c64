package netlimit

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestPerAddress(t *testing.T) {
	tests := []struct {
		name  string
		steps func(t *testing.T, p *PerAddress, c *clock)
	}{
		{"burst then rate", func(t *testing.T, p *PerAddress, c *clock) {
			for i := range 10 {
				if !p.Allow("192.0.2.1") {
					t.Fatalf("request %d of the burst refused", i)
				}
			}
			if p.Allow("192.0.2.1") {
				t.Fatal("allowed beyond the burst")
			}
			c.advance(time.Second) // 2 tokens
			if !p.Allow("192.0.2.1") || !p.Allow("192.0.2.1") || p.Allow("192.0.2.1") {
				t.Fatal("rate not applied")
			}
		}},
		{"addresses are independent", func(t *testing.T, p *PerAddress, c *clock) {
			for range 10 {
				p.Allow("192.0.2.1")
			}
			if !p.Allow("192.0.2.2") || !p.Allow("::ffff:192.0.2.3") {
				t.Fatal("another address throttled")
			}
			if p.Allow("::ffff:192.0.2.1") {
				t.Fatal("IPv4-mapped form escaped the limit")
			}
		}},
		{"an IPv6 /64 is one client", func(t *testing.T, p *PerAddress, c *clock) {
			for i := range 10 {
				p.Allow(fmt.Sprintf("2001:db8:1:2::%x", i))
			}
			if p.Allow("2001:db8:1:2:ffff::1") {
				t.Fatal("addresses of one /64 escaped the limit")
			}
			if !p.Allow("2001:db8:1:3::1") {
				t.Fatal("another /64 throttled")
			}
		}},
		{"table is bounded; overflow shares a bucket", func(t *testing.T, p *PerAddress, c *clock) {
			allowed := 0
			for i := range 1000 {
				if p.Allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256)) {
					allowed++
				}
			}
			if p.Len() > 100 {
				t.Fatalf("%d buckets kept, bound 100", p.Len())
			}
			// 100 addresses with their own bucket, then one shared burst.
			if allowed != 100+10 {
				t.Fatalf("%d allowed", allowed)
			}
		}},
		{"refilled buckets are forgotten", func(t *testing.T, p *PerAddress, c *clock) {
			for i := range 100 {
				p.Allow(fmt.Sprintf("10.0.0.%d", i))
			}
			c.advance(time.Minute)
			if !p.Allow("10.1.0.1") || p.Len() != 1 {
				t.Fatalf("new address after refill: %d buckets", p.Len())
			}
		}},
		{"unparseable addresses share a bucket", func(t *testing.T, p *PerAddress, c *clock) {
			for range 10 {
				p.Allow("not-an-ip")
			}
			if p.Allow("also-not") {
				t.Fatal("unparseable address escaped the limit")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
			tt.steps(t, NewPerAddress(RateLimit{Rate: 2, Burst: 10}, 100, c.now), c)
		})
	}
}
