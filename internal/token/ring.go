package token

import (
	"cmp"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Errors from Open. Callers should report both ErrMalformed and ErrInvalid as
// AWS's InvalidClientTokenId and must not tell callers which one it was.
var (
	// ErrMalformed means the text is not a mantle session token of a known
	// version: wrong length, not canonical base64, or an unknown prefix.
	ErrMalformed = errors.New("token: malformed session token")
	// ErrInvalid means the token did not open: it was altered, or was sealed
	// by a key this ring does not hold.
	ErrInvalid = errors.New("token: invalid session token")
	// ErrUnknownKey is the ErrInvalid case of a key ID the ring does not
	// hold (errors.Is(ErrUnknownKey, ErrInvalid) is true), kept apart so
	// that a node missing a freshly rotated key shows up in logs.
	ErrUnknownKey = fmt.Errorf("%w: unknown key", ErrInvalid)
)

// Errors from Seal.
var (
	// ErrClaims means the claims cannot be sealed as given.
	ErrClaims = errors.New("token: invalid claims")
	// ErrTooLarge means the token would be longer than MaxTokenLen.
	ErrTooLarge = errors.New("token: session too large")
)

// MaxTokenLen is the longest token, in characters, that Seal produces and Open
// accepts. AWS SDKs put no limit on tokens (AWS asks clients to assume none);
// the limit here bounds the work an unauthenticated request can cause, and is
// well above the largest session AWS's own limits allow (50 tags of 128/256
// characters, a 2,048-character policy and 10 policy ARNs). Sessions the STS
// layer admits (PackedPolicySize at most 100) give tokens of a few kilobytes.
const MaxTokenLen = 32 << 10

// magicV1 is the first three bytes of a version-1 token, chosen so that its
// base64 text always begins "MNT1".
var magicV1 = [3]byte{0x30, 0xd4, 0xf5}

const (
	magicLen  = len(magicV1)
	adLen     = magicLen + 4 // magic and key ID: the associated data
	nonceLen  = chacha20poly1305.NonceSizeX
	headerLen = adLen + nonceLen
	minRawLen = headerLen + chacha20poly1305.Overhead
)

// tokenEncoding is strict so that a token has only one text form: otherwise
// a changed padding bit in the last character would decode to the same bytes
// and open.
var tokenEncoding = base64.StdEncoding.Strict()

// hkdfInfo separates the AEAD key from any other use of a stored secret.
const hkdfInfo = "mantle session token v1"

type ringKey struct {
	key  Key
	aead cipher.AEAD
}

// ringState is immutable once published, so Seal and Open read it without
// locks; changes copy it.
type ringState struct {
	active *ringKey
	keys   map[uint32]*ringKey
}

// Ring holds the keys that seal and open session tokens: one active key seals,
// every key held opens. It is safe for concurrent use, including changing keys
// while tokens are being sealed and opened.
type Ring struct {
	mu    sync.Mutex // serializes changes
	state atomic.Pointer[ringState]
	// sealed counts the tokens sealed by Kind, for metrics.
	sealed [kindEnd]atomic.Uint64

	// src, when set (Follow), is where the ring reloads its keys from.
	src       Source
	reloading sync.Mutex    // one reload at a time
	loadedAt  atomic.Uint64 // src's generation at the last load
	pending   atomic.Bool   // a background reload is running
}

// Source is the shared store of keys that several rings (one per node)
// follow. Generation moves whenever the keys may have changed (the store's
// generation moves at every change); Keys returns them with the active
// key's ID.
type Source interface {
	Generation() uint64
	Keys() (keys []Key, active uint32, err error)
}

// Follow makes the ring keep up with src: Open reloads the keys when it
// meets a key ID the ring does not hold and src's generation has moved
// since the last load (a key another node added), and Seal starts a
// background reload when the generation has moved, so the ring starts
// sealing with a key another node activated. Call it once, before use;
// gen is src's generation at which the ring's keys were read.
func (r *Ring) Follow(src Source, gen uint64) {
	r.src = src
	r.loadedAt.Store(gen)
}

// Replace makes keys the ring's keys, with active sealing: what a node
// does when the stored keys changed. Keys no longer listed stop opening
// tokens.
func (r *Ring) Replace(keys []Key, active uint32) error {
	nr, err := NewRing(keys, active)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Store(nr.state.Load())
	return nil
}

// reload reads the keys from src unless they were read at its current
// generation already.
func (r *Ring) reload() {
	r.reloading.Lock()
	defer r.reloading.Unlock()
	g := r.src.Generation()
	if g == r.loadedAt.Load() {
		return
	}
	keys, active, err := r.src.Keys()
	if err != nil || r.Replace(keys, active) != nil {
		// Keep serving with the keys held; the next miss or seal tries
		// again.
		return
	}
	r.loadedAt.Store(g)
}

// Reload reads the keys from the source now, whatever its generation:
// after this node changed them itself.
func (r *Ring) Reload() error {
	if r.src == nil {
		return errors.New("token: the ring follows no source")
	}
	r.reloading.Lock()
	defer r.reloading.Unlock()
	g := r.src.Generation()
	keys, active, err := r.src.Keys()
	if err != nil {
		return err
	}
	if err := r.Replace(keys, active); err != nil {
		return err
	}
	r.loadedAt.Store(g)
	return nil
}

// reloadInBackground starts a reload unless one is running.
func (r *Ring) reloadInBackground() {
	if r.pending.CompareAndSwap(false, true) {
		go func() {
			defer r.pending.Store(false)
			r.reload()
		}()
	}
}

// Sealed returns how many tokens of kind the ring has sealed.
func (r *Ring) Sealed(k Kind) uint64 {
	if !k.Valid() {
		return 0
	}
	return r.sealed[k].Load()
}

func newRingKey(k Key) (*ringKey, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	sub, err := hkdf.Key(sha256.New, k.Secret[:], nil, hkdfInfo, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(sub)
	if err != nil {
		return nil, err
	}
	return &ringKey{key: k, aead: aead}, nil
}

// NewRing returns a ring holding keys with activeID sealing. Keys other than
// the active one with no Retired time are taken to have retired now, the
// safe assumption when nothing records when they stopped sealing.
func NewRing(keys []Key, activeID uint32) (*Ring, error) {
	now := time.Now().UTC()
	st := &ringState{keys: make(map[uint32]*ringKey, len(keys))}
	for _, k := range keys {
		if _, dup := st.keys[k.ID]; dup {
			return nil, fmt.Errorf("token: duplicate key ID %d", k.ID)
		}
		if k.ID == activeID {
			k.Retired = time.Time{}
		} else if k.Retired.IsZero() {
			k.Retired = now
		}
		rk, err := newRingKey(k)
		if err != nil {
			return nil, err
		}
		st.keys[k.ID] = rk
	}
	st.active = st.keys[activeID]
	if st.active == nil {
		return nil, fmt.Errorf("token: active key %d is not in the ring", activeID)
	}
	r := new(Ring)
	r.state.Store(st)
	return r, nil
}

// update applies f to a copy of the state and publishes it if f succeeds.
func (r *Ring) update(f func(st *ringState) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.state.Load()
	st := &ringState{active: old.active, keys: make(map[uint32]*ringKey, len(old.keys)+1)}
	for id, k := range old.keys {
		st.keys[id] = k
	}
	if err := f(st); err != nil {
		return err
	}
	r.state.Store(st)
	return nil
}

// Add adds a key that opens tokens but does not seal them until SetActive.
func (r *Ring) Add(k Key) error {
	rk, err := newRingKey(k)
	if err != nil {
		return err
	}
	return r.update(func(st *ringState) error {
		if _, dup := st.keys[k.ID]; dup {
			return fmt.Errorf("token: key %d is already in the ring", k.ID)
		}
		st.keys[k.ID] = rk
		return nil
	})
}

// SetActive makes a key already in the ring the one that seals, and marks the
// previously active key retired as of now.
func (r *Ring) SetActive(id uint32) error {
	now := time.Now().UTC()
	return r.update(func(st *ringState) error {
		next := st.keys[id]
		if next == nil {
			return fmt.Errorf("token: key %d is not in the ring", id)
		}
		if next == st.active {
			return nil
		}
		prev := *st.active
		prev.key.Retired = now
		st.keys[prev.key.ID] = &prev
		cur := *next
		cur.key.Retired = time.Time{}
		st.keys[id] = &cur
		st.active = &cur
		return nil
	})
}

// Remove drops a key; tokens it sealed no longer open. The active key cannot
// be removed.
func (r *Ring) Remove(id uint32) error {
	return r.update(func(st *ringState) error {
		k := st.keys[id]
		if k == nil {
			return fmt.Errorf("token: key %d is not in the ring", id)
		}
		if k == st.active {
			return fmt.Errorf("token: key %d is active", id)
		}
		delete(st.keys, id)
		return nil
	})
}

// Prune removes the keys that retired more than MaxSessionLifetime before now,
// whose tokens have all expired, and returns their IDs in ascending order.
func (r *Ring) Prune(now time.Time) []uint32 {
	var removed []uint32
	_ = r.update(func(st *ringState) error {
		for id, k := range st.keys {
			if k != st.active && !k.key.Retired.IsZero() &&
				now.Sub(k.key.Retired) > MaxSessionLifetime {
				delete(st.keys, id)
				removed = append(removed, id)
			}
		}
		return nil
	})
	slices.Sort(removed)
	return removed
}

// Active returns the ID of the key that seals.
func (r *Ring) Active() uint32 { return r.state.Load().active.key.ID }

// Keys returns the keys held, in ascending ID order, with their Retired times,
// for the server to persist.
func (r *Ring) Keys() []Key {
	st := r.state.Load()
	keys := make([]Key, 0, len(st.keys))
	for _, k := range st.keys {
		keys = append(keys, k.key)
	}
	slices.SortFunc(keys, func(a, b Key) int { return cmp.Compare(a.ID, b.ID) })
	return keys
}

// Seal encrypts and authenticates c under the active key and returns the
// token text. Times are kept to the second.
func (r *Ring) Seal(c *Claims) (string, error) {
	if err := c.validate(); err != nil {
		return "", err
	}
	if r.src != nil && r.src.Generation() != r.loadedAt.Load() {
		r.reloadInBackground()
	}
	k := r.state.Load().active
	bp := getBuf()
	defer putBuf(bp)
	b := append((*bp)[:0], magicV1[:]...)
	b = binary.BigEndian.AppendUint32(b, k.key.ID)
	b = append(b, make([]byte, nonceLen)...)
	// crypto/rand.Read never fails (the runtime aborts instead), and
	// 24-byte random nonces cannot realistically repeat under one key.
	_, _ = rand.Read(b[adLen:headerLen])
	b, err := appendClaims(b, c)
	*bp = b
	if err != nil {
		return "", err
	}
	rawLen := len(b) + chacha20poly1305.Overhead
	textLen := tokenEncoding.EncodedLen(rawLen)
	if textLen > MaxTokenLen {
		return "", fmt.Errorf("%w: token would be %d characters", ErrTooLarge, textLen)
	}
	b = slices.Grow(b, chacha20poly1305.Overhead+textLen)
	b = k.aead.Seal(b[:headerLen], b[adLen:headerLen], b[headerLen:], b[:adLen])
	text := b[len(b) : len(b)+textLen]
	tokenEncoding.Encode(text, b)
	*bp = b
	r.sealed[c.Kind].Add(1)
	return string(text), nil
}

// Open authenticates and decrypts a token. It does not check expiry: see
// Claims.Expired.
func (r *Ring) Open(token string) (*Claims, error) {
	if len(token) < tokenEncoding.EncodedLen(minRawLen) || len(token) > MaxTokenLen ||
		!strings.HasPrefix(token, "MNT1") ||
		// The decoder skips line breaks; refusing them keeps one text form.
		strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return nil, ErrMalformed
	}
	bp := getBuf()
	defer putBuf(bp)
	src := append((*bp)[:0], token...)
	src = slices.Grow(src, tokenEncoding.DecodedLen(len(token)))
	*bp = src
	dst := src[len(src):cap(src)]
	n, err := tokenEncoding.Decode(dst, src)
	if err != nil || n < minRawLen || [3]byte(dst[:magicLen]) != magicV1 {
		return nil, ErrMalformed
	}
	raw := dst[:n]
	id := binary.BigEndian.Uint32(raw[magicLen:adLen])
	k := r.state.Load().keys[id]
	if k == nil && r.src != nil {
		// Another node may have sealed with a key it added since this
		// ring loaded; an unknown ID costs a reload only when the keys
		// may have changed, so made-up IDs cannot make the ring read the
		// store at every request. Whoever reloaded (this call or one
		// running meanwhile), the keys are looked at again.
		r.reload()
		k = r.state.Load().keys[id]
	}
	if k == nil {
		return nil, ErrUnknownKey
	}
	pt, err := k.aead.Open(raw[headerLen:headerLen], raw[adLen:headerLen], raw[headerLen:], raw[:adLen])
	if err != nil {
		return nil, ErrInvalid
	}
	return decodeClaims(pt)
}
