package sqlite

import (
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/store"
)

// Pack format 1. Measured with BenchmarkAppend (AssumeRole-heavy trail,
// 1,000 callers), format 0 took 1.6–2.5 KB of disk per event and a
// selective lookup decoded and copied every record of every pack it read.
// Format 1 is:
//
//	uvarint len(heads) | heads | chunk … chunk
//
// heads is zstd of every event's lookup attributes (ID, time, name,
// source, access key, username, read-only, resources), one after the
// other; each chunk is zstd of up to recordsPerChunk records (uvarint
// length-prefixed), preceded by its uvarint compressed length. A lookup
// decompresses heads, picks the events it wants, and decompresses only
// their chunks.
//
// Format 2 is format 1 uncompressed: the unkeyed packs of small batches,
// which the store merges (and then compresses) within seconds, so
// compressing them would cost twice for nothing kept.
const (
	packFormat      = 1
	rawPackFormat   = 2
	recordsPerChunk = 32
)

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(1<<18))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxMemory(64<<20))
)

// Event IDs that are UUIDs are kept as their 16 bytes (flag 1), others as
// strings (flag 0).
func appendID(b []byte, id string) []byte {
	if u, ok := parseUUID(id); ok {
		return append(append(b, 1), u[:]...)
	}
	return appendStr(append(b, 0), id)
}

func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	var h [32]byte
	copy(h[0:8], s[0:8])
	copy(h[8:12], s[9:13])
	copy(h[12:16], s[14:18])
	copy(h[16:20], s[19:23])
	copy(h[20:32], s[24:36])
	for _, c := range h {
		// Lower case only, so the ID reads back as written.
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return u, false
		}
	}
	if _, err := hex.Decode(u[:], h[:]); err != nil {
		return u, false
	}
	return u, true
}

func formatUUID(u []byte) string { return awsproto.FormatUUID([16]byte(u)) }

// idTime is the millisecond a version 7 UUID event ID carries, when it
// carries one.
func idTime(id string) (time.Time, bool) {
	u, ok := parseUUID(id)
	if !ok || u[6]>>4 != 7 {
		return time.Time{}, false
	}
	var ms uint64
	for _, c := range u[:6] {
		ms = ms<<8 | uint64(c)
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

// timedID reports whether e's ID carries e's own time to the millisecond,
// so a lookup by ID can find its pack by time and the ID needs no key row.
func timedID(e *store.Event) bool {
	t, ok := idTime(e.ID)
	return ok && t.Equal(e.Time.Truncate(time.Millisecond))
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// encodePack1 encodes evs in format 1, or 2 when raw, appending to out.
// The scratch buffers come from scratch, so a pack costs its blob and no
// more garbage (a pack's blob and buffers were half the bytes the
// AssumeRole path allocated).
func encodePack1(out []byte, evs []*store.Event, raw bool) []byte {
	heads, chunk, z := getScratch(), getScratch(), getScratch()
	defer putScratch(heads, chunk, z)
	for _, e := range evs {
		*heads = appendID(*heads, e.ID)
		*heads = binary.AppendVarint(*heads, e.Time.UnixNano())
		*heads = appendStr(*heads, e.Name)
		*heads = appendStr(*heads, e.Source)
		*heads = appendStr(*heads, e.AccessKeyID)
		*heads = appendStr(*heads, e.Username)
		if e.ReadOnly {
			*heads = append(*heads, 1)
		} else {
			*heads = append(*heads, 0)
		}
		*heads = binary.AppendUvarint(*heads, uint64(len(e.Resources)))
		for _, r := range e.Resources {
			*heads = appendStr(*heads, r.Type)
			*heads = appendStr(*heads, r.Name)
		}
	}
	section := func(src []byte) {
		if raw {
			out = append(binary.AppendUvarint(out, uint64(len(src))), src...)
			return
		}
		*z = zenc.EncodeAll(src, (*z)[:0])
		out = append(binary.AppendUvarint(out, uint64(len(*z))), *z...)
	}
	section(*heads)
	for i := 0; i < len(evs); i += recordsPerChunk {
		*chunk = (*chunk)[:0]
		for _, e := range evs[i:min(i+recordsPerChunk, len(evs))] {
			*chunk = append(binary.AppendUvarint(*chunk, uint64(len(e.Record))), e.Record...)
		}
		section(*chunk)
	}
	return out
}

var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getScratch() *[]byte {
	b := scratch.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

func putScratch(bs ...*[]byte) {
	for _, b := range bs {
		if cap(*b) <= 1<<20 { // keep no outsized buffer
			scratch.Put(b)
		}
	}
}

// packReader walks a byte slice of uvarint-prefixed fields.
type packReader struct {
	b   []byte
	bad bool
}

func (r *packReader) uvarint() uint64 {
	n, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *packReader) varint() int64 {
	n, k := binary.Varint(r.b)
	if k <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *packReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *packReader) field() []byte { return r.bytes(r.uvarint()) }

func (r *packReader) byte1() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// decodePack1 returns the events of a format 1 (or, raw, 2) pack that
// keep accepts (all when keep is nil), records included.
func decodePack1(account string, blob []byte, raw bool, keep func(*store.Event) bool) ([]*store.Event, error) {
	decompress := func(src, dst []byte) ([]byte, error) {
		if raw {
			return src, nil
		}
		return zdec.DecodeAll(src, dst)
	}
	r := &packReader{b: blob}
	zh := r.field()
	if r.bad {
		return nil, errBadPack
	}
	heads, err := decompress(zh, nil)
	if err != nil {
		return nil, errBadPack
	}
	h := &packReader{b: heads}
	var evs []*store.Event
	var pos []int // each kept event's position in the pack
	for i := 0; len(h.b) > 0; i++ {
		e := &store.Event{AccountID: account}
		switch h.byte1() {
		case 1:
			e.ID = formatUUID(h.bytes(16))
		case 0:
			e.ID = string(h.field())
		default:
			return nil, errBadPack
		}
		e.Time = time.Unix(0, h.varint()).UTC()
		e.Name, e.Source = string(h.field()), string(h.field())
		e.AccessKeyID, e.Username = string(h.field()), string(h.field())
		e.ReadOnly = h.byte1() == 1
		nres := h.uvarint()
		if nres > uint64(len(h.b)) {
			return nil, errBadPack
		}
		for range nres {
			e.Resources = append(e.Resources, store.EventResource{Type: string(h.field()), Name: string(h.field())})
		}
		if h.bad {
			return nil, errBadPack
		}
		if keep == nil || keep(e) {
			evs = append(evs, e)
			pos = append(pos, i)
		}
	}
	// The records of the kept events, a chunk at a time.
	var records []byte
	chunk := -1
	for k, e := range evs {
		c := pos[k] / recordsPerChunk
		for chunk < c {
			z := r.field()
			if r.bad {
				return nil, errBadPack
			}
			chunk++
			if chunk == c {
				if records, err = decompress(z, records[:0]); err != nil {
					return nil, errBadPack
				}
			}
		}
		cr := &packReader{b: records}
		for range pos[k] % recordsPerChunk {
			cr.field()
		}
		rec := cr.field()
		if cr.bad {
			return nil, errBadPack
		}
		e.Record = slices.Clone(rec)
	}
	return evs, nil
}

// Temporary access key IDs (ASIA…) an event names as a resource are unique
// per event and random: a key row each would be an insert at a random
// place of the key index per AssumeRole, which at a few million events
// costs a page written to the WAL per event. A format 1 pack instead
// keeps them in a Bloom filter (bloom column) that a lookup by such a
// resource name tests before reading the pack. Such lookups (who obtained
// this key?) are rare; they scan the account's packs by time.
func bloomed(r store.EventResource) bool {
	return r.Type == "AWS::IAM::AccessKey" && strings.HasPrefix(r.Name, "ASIA")
}

const bloomBitsPerValue, bloomHashes = 12, 4

func bloomHash(v string) (uint64, uint64) {
	h := fnv.New128a()
	h.Write([]byte(v))
	var s [16]byte
	sum := h.Sum(s[:0])
	return binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:]) | 1
}

func makeBloom(values []string) []byte {
	if len(values) == 0 {
		return nil
	}
	b := make([]byte, (len(values)*bloomBitsPerValue+7)/8)
	bits := uint64(len(b) * 8)
	for _, v := range values {
		h1, h2 := bloomHash(v)
		for i := range uint64(bloomHashes) {
			k := (h1 + i*h2) % bits
			b[k/8] |= 1 << (k % 8)
		}
	}
	return b
}

// mayHold reports whether the filter may hold v (false: it certainly
// does not).
func mayHold(b []byte, v string) bool {
	if len(b) == 0 {
		return false
	}
	bits := uint64(len(b) * 8)
	h1, h2 := bloomHash(v)
	for i := range uint64(bloomHashes) {
		k := (h1 + i*h2) % bits
		if b[k/8]&(1<<(k%8)) == 0 {
			return false
		}
	}
	return true
}
