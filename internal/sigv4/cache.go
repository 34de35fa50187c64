package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash/maphash"
	"strings"
	"sync"
)

// keyCache holds derived signing keys. Deriving one costs four HMACs, more
// than the rest of a verification, and the inputs change once a day.
//
// The secret itself is part of the key, so a rotated or different secret can
// never be served another secret's derived key; no hash of it has to be
// computed on the hot path, and map hashing is seeded per process. Shards
// keep concurrent readers from contending on one lock.
type keyCache struct {
	seed   maphash.Seed
	perMax int
	shards [cacheShards]cacheShard
}

const cacheShards = 16

type cacheShard struct {
	mu sync.RWMutex
	m  map[cacheKey]hmacPads
	_  [40]byte // keep neighbouring shards' locks off one cache line
}

type cacheKey struct{ secret, date, region, service string }

func newKeyCache(max int) *keyCache {
	per := max / cacheShards
	if per < 1 {
		per = 1
	}
	c := &keyCache{seed: maphash.MakeSeed(), perMax: per}
	for i := range c.shards {
		c.shards[i].m = make(map[cacheKey]hmacPads)
	}
	return c
}

// hmacPads is a derived signing key in the form the HMAC consumes it, the
// key XORed with the inner and outer pads, so no request has to redo that.
type hmacPads struct{ inner, outer [64]byte }

func newPads(key [32]byte) hmacPads {
	var p hmacPads
	for i := range p.inner {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		p.inner[i] = k ^ 0x36
		p.outer[i] = k ^ 0x5c
	}
	return p
}

// signingKey returns the derived key for (secret, date, region, service).
func (c *keyCache) signingKey(secret, date, region, service string) hmacPads {
	k := cacheKey{secret, date, region, service}
	sh := &c.shards[maphash.String(c.seed, secret)%cacheShards]
	sh.mu.RLock()
	key, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok {
		return key
	}
	key = newPads(deriveKey(secret, date, region, service))
	// Clone so the cache does not pin the request (the scope strings are
	// substrings of its Authorization header).
	k = cacheKey{strings.Clone(secret), strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	sh.mu.Lock()
	if len(sh.m) >= c.perMax {
		// Map iteration starts at a random entry: random eviction, which
		// is enough when yesterday's keys are the ones that go cold.
		for old := range sh.m {
			delete(sh.m, old)
			break
		}
	}
	sh.m[k] = key
	sh.mu.Unlock()
	return key
}

func (c *keyCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// deriveKey is SigV4's kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) [32]byte {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), date)
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, terminator)
	return [32]byte(k)
}
