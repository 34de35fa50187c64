package token

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"time"
)

// The claims are encoded as below (version 1). Integers are unsigned varints,
// strings are a varint length then the bytes. The layout is fixed by the
// token version in the header; a new layout needs a new version.
//
//	kind (1 byte) | flags (1 byte) | chain depth | issued-at (Unix seconds) |
//	lifetime (seconds) | [MFA auth time (Unix seconds) if flagMFATime] |
//	account ID | access key ID | secret access key | principal ID |
//	principal name | path | session name | source ARN | source identity |
//	[federated provider if flagFederated] | packed section (to the end)
//
// The packed section holds what AWS counts towards PackedPolicySize; it is
// deflated when that makes it smaller (flagDeflated):
//
//	tag count | (key, value)… | transitive key count | key… |
//	policy ARN count | ARN… | session policy
const (
	flagMFA      = 1 << 0
	flagMFATime  = 1 << 1
	flagDeflated = 1 << 2
	// flagFederated marks a web identity session, which carries its
	// provider (aws:FederatedProvider); tokens without it read as before.
	flagFederated = 1 << 3
	flagsKnown    = flagMFA | flagMFATime | flagDeflated | flagFederated
)

const (
	// deflateMin is the packed size below which deflate is not tried: small
	// sections (the typical AssumeRole with a couple of tags) do not shrink,
	// and skipping it keeps the hot path free of compression.
	deflateMin = 192
	// maxPackedRaw bounds the uncompressed packed section, so that a sealed
	// token can always be inflated again and inflating cannot be made to
	// allocate without limit.
	maxPackedRaw = 256 << 10
	// Bounds that keep every accepted value representable after a round trip.
	maxUnixSeconds = 1 << 40
	maxLifetime    = 1 << 32
	maxChainDepth  = 1 << 16
)

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// validate checks what the encoding needs to round-trip a session faithfully.
// It does not apply AWS's request limits (tag counts, name patterns): the STS
// layer does that before a session exists.
func (c *Claims) validate() error {
	switch {
	case c == nil:
		return fmt.Errorf("%w: nil claims", ErrClaims)
	case !c.Kind.Valid():
		return fmt.Errorf("%w: kind %v", ErrClaims, c.Kind)
	case c.AccessKeyID == "" || c.SecretAccessKey == "":
		return fmt.Errorf("%w: missing access key", ErrClaims)
	case c.ChainDepth < 0 || c.ChainDepth > maxChainDepth:
		return fmt.Errorf("%w: chain depth %d", ErrClaims, c.ChainDepth)
	}
	iss, exp := c.IssuedAt.Unix(), c.ExpiresAt.Unix()
	if iss <= 0 || iss >= maxUnixSeconds {
		return fmt.Errorf("%w: issued at %v", ErrClaims, c.IssuedAt)
	}
	if exp <= iss || exp-iss >= maxLifetime {
		return fmt.Errorf("%w: expires at %v, issued at %v", ErrClaims, c.ExpiresAt, c.IssuedAt)
	}
	if !c.MFAAuthTime.IsZero() {
		if t := c.MFAAuthTime.Unix(); t <= 0 || t >= maxUnixSeconds {
			return fmt.Errorf("%w: MFA auth time %v", ErrClaims, c.MFAAuthTime)
		}
	}
	return nil
}

// appendPackedRaw appends the uncompressed packed section.
func appendPackedRaw(b []byte, c *Claims) []byte {
	b = appendUvarint(b, uint64(len(c.Tags)))
	for _, t := range c.Tags {
		b = appendString(b, t.Key)
		b = appendString(b, t.Value)
	}
	b = appendStrings(b, c.TransitiveTagKeys)
	b = appendStrings(b, c.SessionPolicyARNs)
	return appendString(b, c.SessionPolicy)
}

// appendPacked appends the packed section as it is sealed, deflated if that
// is smaller, and reports whether it deflated. scratch is working space that
// may be returned grown.
func appendPacked(b, scratch []byte, c *Claims) (out, scratchOut []byte, deflated bool, err error) {
	start := len(b)
	b = appendPackedRaw(b, c)
	raw := b[start:]
	if len(raw) > maxPackedRaw {
		return b, scratch, false, fmt.Errorf("%w: packed policies and tags are %d bytes", ErrTooLarge, len(raw))
	}
	if len(raw) < deflateMin {
		return b, scratch, false, nil
	}
	scratch = deflateAppend(scratch[:0], raw)
	if len(scratch) >= len(raw) {
		return b, scratch, false, nil
	}
	return append(b[:start], scratch...), scratch, true, nil
}

// appendClaims appends the version-1 encoding of c, which must be valid.
func appendClaims(b []byte, c *Claims) ([]byte, error) {
	flagsAt := len(b) + 1
	b = append(b, byte(c.Kind), 0)
	var flags byte
	if c.MFAAuthenticated {
		flags |= flagMFA
	}
	b = appendUvarint(b, uint64(c.ChainDepth))
	iss := c.IssuedAt.Unix()
	b = appendUvarint(b, uint64(iss))
	b = appendUvarint(b, uint64(c.ExpiresAt.Unix()-iss))
	if !c.MFAAuthTime.IsZero() {
		flags |= flagMFATime
		b = appendUvarint(b, uint64(c.MFAAuthTime.Unix()))
	}
	for _, s := range [...]string{
		c.AccountID, c.AccessKeyID, c.SecretAccessKey,
		c.PrincipalID, c.PrincipalName, c.Path, c.SessionName,
		c.SourceArn, c.SourceIdentity,
	} {
		b = appendString(b, s)
	}
	if c.FederatedProvider != "" {
		flags |= flagFederated
		b = appendString(b, c.FederatedProvider)
	}
	sp := getBuf()
	defer putBuf(sp)
	var deflated bool
	var err error
	b, *sp, deflated, err = appendPacked(b, *sp, c)
	if err != nil {
		return b, err
	}
	if deflated {
		flags |= flagDeflated
	}
	b[flagsAt] = flags
	return b, nil
}

// decoder reads the encoding from a string so that every decoded field can
// share one allocation.
type decoder struct {
	s   string
	off int
	bad bool
}

func (d *decoder) uvarint() uint64 {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.off >= len(d.s) {
			break
		}
		c := d.s[d.off]
		d.off++
		if c < 0x80 {
			if shift == 63 && c > 1 {
				break
			}
			return v | uint64(c)<<shift
		}
		v |= uint64(c&0x7f) << shift
	}
	d.bad = true
	return 0
}

func (d *decoder) byte() byte {
	if d.off >= len(d.s) {
		d.bad = true
		return 0
	}
	c := d.s[d.off]
	d.off++
	return c
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.s)-d.off) {
		d.bad = true
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// count reads a list length, refusing one the remaining input cannot hold
// (each element takes at least minLen bytes) so that a corrupt count cannot
// allocate.
func (d *decoder) count(minLen int) int {
	n := d.uvarint()
	if d.bad || n > uint64((len(d.s)-d.off)/minLen) {
		d.bad = true
		return 0
	}
	return int(n)
}

func (d *decoder) strs() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func unixUTC(sec uint64) time.Time { return time.Unix(int64(sec), 0).UTC() }

// decodeClaims parses the version-1 encoding. Sealed input has been
// authenticated, but decoding is still bounds-checked throughout: it is the
// last line of defence if a key leaks or a bug seals garbage.
func decodeClaims(pt []byte) (*Claims, error) {
	d := decoder{s: string(pt)}
	c := &Claims{Kind: Kind(d.byte())}
	flags := d.byte()
	depth := d.uvarint()
	iss := d.uvarint()
	life := d.uvarint()
	if d.bad || !c.Kind.Valid() || flags&^flagsKnown != 0 ||
		depth > maxChainDepth || iss == 0 || iss >= maxUnixSeconds ||
		life == 0 || life >= maxLifetime {
		return nil, ErrMalformed
	}
	c.ChainDepth = int(depth)
	c.IssuedAt = unixUTC(iss)
	c.ExpiresAt = unixUTC(iss + life)
	c.MFAAuthenticated = flags&flagMFA != 0
	if flags&flagMFATime != 0 {
		t := d.uvarint()
		if t == 0 || t >= maxUnixSeconds {
			return nil, ErrMalformed
		}
		c.MFAAuthTime = unixUTC(t)
	}
	c.AccountID = d.str()
	c.AccessKeyID = d.str()
	c.SecretAccessKey = d.str()
	c.PrincipalID = d.str()
	c.PrincipalName = d.str()
	c.Path = d.str()
	c.SessionName = d.str()
	c.SourceArn = d.str()
	c.SourceIdentity = d.str()
	if flags&flagFederated != 0 {
		if c.FederatedProvider = d.str(); c.FederatedProvider == "" {
			return nil, ErrMalformed
		}
	}
	if d.bad {
		return nil, ErrMalformed
	}
	if flags&flagDeflated != 0 {
		raw, err := inflate(d.s[d.off:])
		if err != nil {
			return nil, err
		}
		d = decoder{s: raw}
	}
	if n := d.count(2); n > 0 {
		c.Tags = make([]Tag, n)
		for i := range c.Tags {
			c.Tags[i] = Tag{Key: d.str(), Value: d.str()}
		}
	}
	c.TransitiveTagKeys = d.strs()
	c.SessionPolicyARNs = d.strs()
	c.SessionPolicy = d.str()
	if d.bad || d.off != len(d.s) {
		return nil, ErrMalformed
	}
	return c, nil
}

// Buffers and (de)compressors are pooled: a flate writer costs hundreds of
// kilobytes to build, and Seal/Open run on every STS call and every request
// signed with temporary credentials.

const pooledBufMax = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > pooledBufMax {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

type deflater struct {
	w    *flate.Writer
	sink appendWriter
}

var deflaterPool = sync.Pool{New: func() any {
	d := new(deflater)
	// BestCompression costs little at these sizes and every byte saved is
	// carried by every request the session signs.
	w, err := flate.NewWriter(&d.sink, flate.BestCompression)
	if err != nil {
		panic(err) // only for an invalid level
	}
	d.w = w
	return d
}}

func deflateAppend(dst, src []byte) []byte {
	d := deflaterPool.Get().(*deflater)
	d.sink.b = dst
	d.w.Reset(&d.sink)
	// Writes to appendWriter cannot fail.
	_, _ = d.w.Write(src)
	_ = d.w.Close()
	out := d.sink.b
	d.sink.b = nil
	deflaterPool.Put(d)
	return out
}

type inflater struct {
	r   io.ReadCloser
	src bytes.Reader
}

var inflaterPool = sync.Pool{New: func() any {
	f := new(inflater)
	f.r = flate.NewReader(&f.src)
	return f
}}

// inflate decompresses a packed section, refusing output beyond maxPackedRaw.
func inflate(s string) (string, error) {
	f := inflaterPool.Get().(*inflater)
	defer inflaterPool.Put(f)
	bp := getBuf()
	defer putBuf(bp)
	// flate.Reader needs a []byte source; this copy is only paid by large
	// sessions.
	in := append((*bp)[:0], s...)
	f.src.Reset(in)
	if err := f.r.(flate.Resetter).Reset(&f.src, nil); err != nil {
		return "", ErrMalformed
	}
	out := in[len(in):]
	for {
		if len(out) == cap(out) {
			if len(out) > maxPackedRaw {
				return "", ErrMalformed
			}
			out = append(out, 0)[:len(out)]
		}
		n, err := f.r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", ErrMalformed
		}
	}
	if len(out) > maxPackedRaw {
		return "", ErrMalformed
	}
	return string(out), nil
}
