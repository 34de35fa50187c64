package iam

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
	"unicode"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

func boundaryOut(arn string) *iamapi.AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &iamapi.AttachedPermissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

const (
	maxTags         = 50
	defaultMaxItems = 100
)

// checkPath enforces what the Path pattern implies, for callers that did not
// come through the wire decoder.
func checkPath(p string) error {
	if p == "" {
		return nil
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || len(p) > 512 {
		return awserr.ValidationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	for _, r := range p {
		if r < 0x21 || r > 0x7e {
			return awserr.ValidationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
		}
	}
	return nil
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// page is a decoded Marker/MaxItems pair.
type page struct {
	after string
	max   int
}

// pageOf decodes a client's Marker (our base64 of the store's After cursor)
// and MaxItems.
func pageOf(marker string, maxItems *int) (page, error) {
	p := page{max: defaultMaxItems}
	if maxItems != nil {
		if *maxItems < 1 || *maxItems > 1000 {
			return p, awserr.ValidationError("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", *maxItems)
		}
		p.max = *maxItems
	}
	if marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || len(b) < 2 || b[0] != 'm' || b[1] != ':' {
			return p, awserr.ValidationError("Invalid Marker.")
		}
		p.after = string(b[2:])
	}
	return p, nil
}

func encodeMarker(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("m:" + after))
}

// opts returns the store options that fetch one item beyond the page, so
// truncation is known without a count.
func (p page) opts(prefix string) store.ListOptions {
	return store.ListOptions{PathPrefix: prefix, After: p.after, Limit: p.max + 1}
}

// cut trims items to the page and returns the marker of the next page, ""
// when this is the last one. key gives the store cursor of an item.
func cut[T any](p page, items []T, key func(T) string) ([]T, bool, string) {
	if len(items) <= p.max {
		return items, false, ""
	}
	items = items[:p.max]
	return items, true, encodeMarker(key(items[len(items)-1]))
}

// listPage answers a List action whose store listing is already in cursor
// order: it decodes Marker and MaxItems, fetches one item beyond the page
// through list, and converts the page with out. The result is never nil, so
// an empty list still marshals its element.
func listPage[T, O any](marker string, maxItems *int, pathPrefix string, list func(store.ListOptions) ([]T, error), key func(T) string, out func(T) O) ([]O, bool, string, error) {
	p, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, false, "", err
	}
	items, err := list(p.opts(pathPrefix))
	if err != nil {
		return nil, false, "", err
	}
	items, trunc, next := cut(p, items, key)
	res := make([]O, 0, len(items))
	for _, it := range items {
		res = append(res, out(it))
	}
	return res, trunc, next, nil
}

// cutSlice pages a fully loaded, already ordered slice (IAM's quotas keep
// every list it serves small); the marker carries the key of the page's
// last item.
func cutSlice[T any](p page, items []T, key func(T) string) ([]T, bool, string, error) {
	start := 0
	if p.after != "" {
		start = len(items)
		for i, it := range items {
			if key(it) > p.after {
				start = i
				break
			}
		}
	}
	items = items[start:]
	out, trunc, m := cut(p, items, key)
	return out, trunc, m, nil
}

// fill reads a page of a listing that the store pages in cursor order but
// that keep filters further: it reads batches of the page's size from the
// cursor on until the page and one more item are kept or the listing ends.
func fill[T any](p page, read func(after string, limit int) ([]T, error), keep func(T) bool, key func(T) string) ([]T, error) {
	var out []T
	after := p.after
	for len(out) <= p.max {
		batch, err := read(after, p.max+1)
		if err != nil {
			return nil, err
		}
		for _, it := range batch {
			if keep(it) && len(out) <= p.max {
				out = append(out, it)
			}
		}
		if len(batch) < p.max+1 {
			break
		}
		after = key(batch[len(batch)-1])
	}
	return out, nil
}

// encodeDocument percent-encodes a policy document as IAM returns it. AWS's
// encoder writes spaces as %20; url.QueryEscape writes '+', which the CLI
// would decode as a literal plus.
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// tagsOut converts stored tags to wire tags; nil for none so omitempty
// drops the element.
func tagsOut(ts []store.Tag) []iamapi.Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]iamapi.Tag, len(ts))
	for i, t := range ts {
		out[i] = iamapi.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func tagKey(k string) string { return strings.ToLower(k) }

// checkTags enforces the tag rules the decoder cannot: unique keys in any
// case, the reserved aws: prefix, the characters, and the count.
func checkTags(ts []iamapi.Tag) error {
	if len(ts) > maxTags {
		return awserr.New("LimitExceeded", 409, "The number of tags has reached the maximum limit.")
	}
	seen := map[string]bool{}
	for _, t := range ts {
		if err := checkTagText(t.Key, 1, 128); err != nil {
			return err
		}
		if err := checkTagText(t.Value, 0, 256); err != nil {
			return err
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return awserr.InvalidInput("User-defined tag keys can't start with \"aws:\", which is reserved for AWS use.")
		}
		k := tagKey(t.Key)
		if seen[k] {
			return awserr.InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func checkTagText(s string, min, max int) error {
	n := 0
	for _, r := range s {
		n++
		if !(unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)) {
			return awserr.ValidationError("1 validation error detected: Value '%s' at 'tags' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*", s)
		}
	}
	if n < min || n > max {
		return awserr.ValidationError("1 validation error detected: Value '%s' at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", s, max)
	}
	return nil
}

// mergeTags applies TagX semantics: a key already present (in any case) has
// its value replaced, new keys are appended; the result may hold at most 50.
func mergeTags(cur []store.Tag, add []iamapi.Tag) ([]store.Tag, error) {
	out := append([]store.Tag(nil), cur...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if tagKey(out[i].Key) == tagKey(t.Key) {
				out[i] = store.Tag{Key: t.Key, Value: t.Value}
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, store.Tag{Key: t.Key, Value: t.Value})
		}
	}
	if len(out) > maxTags {
		return nil, awserr.New("LimitExceeded", 409, "The number of tags has reached the maximum limit.")
	}
	return out, nil
}

// removeTags applies UntagX semantics: absent keys are ignored.
func removeTags(cur []store.Tag, keys []string) []store.Tag {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[tagKey(k)] = true
	}
	var out []store.Tag
	for _, t := range cur {
		if !drop[tagKey(t.Key)] {
			out = append(out, t)
		}
	}
	return out
}

func storeTags(ts []iamapi.Tag) []store.Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]store.Tag, len(ts))
	for i, t := range ts {
		out[i] = store.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// requestTagKeys returns aws:RequestTag/K for each tag and aws:TagKeys, the
// condition keys AWS sets on requests that carry tags.
func requestTagKeys(ts []iamapi.Tag) []auth.Key {
	if len(ts) == 0 {
		return nil
	}
	keys := make([]auth.Key, 0, len(ts)+1)
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		keys = append(keys, auth.Key{Name: "aws:RequestTag/" + t.Key, Values: []string{t.Value}})
		names = append(names, t.Key)
	}
	return append(keys, auth.Key{Name: "aws:TagKeys", Values: names})
}

// resourceTagKeys returns iam:ResourceTag/K and aws:ResourceTag/K for a
// tagged user or role.
func resourceTagKeys(ts []store.Tag) []auth.Key {
	keys := make([]auth.Key, 0, 2*len(ts))
	for _, t := range ts {
		keys = append(keys,
			auth.Key{Name: "aws:ResourceTag/" + t.Key, Values: []string{t.Value}},
			auth.Key{Name: "iam:ResourceTag/" + t.Key, Values: []string{t.Value}})
	}
	return keys
}

// tagsPage pages ListXTags output, whose marker is the tag index.
func tagsPage(ts []store.Tag, marker string, maxItems *int) ([]iamapi.Tag, bool, string, error) {
	p, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, false, "", err
	}
	type it struct {
		i int
		t store.Tag
	}
	all := make([]it, len(ts))
	for i, t := range ts {
		all[i] = it{i, t}
	}
	// Index keys are zero-padded so they compare in order as strings.
	key := func(x it) string { return padIndex(x.i) }
	items, trunc, m, _ := cutSlice(p, all, key)
	out := make([]iamapi.Tag, 0, len(items))
	for _, x := range items {
		out = append(out, iamapi.Tag{Key: x.t.Key, Value: x.t.Value})
	}
	return out, trunc, m, nil
}

func padIndex(i int) string {
	const digits = "0123456789"
	b := []byte("000000")
	for j := len(b) - 1; j >= 0 && i > 0; j-- {
		b[j] = digits[i%10]
		i /= 10
	}
	return string(b)
}

// selfUserName resolves an omitted UserName on self-service actions: the
// calling IAM user, or "" meaning the root user itself. Other principals
// must name a user.
func selfUserName(c *auth.Caller, name string) (string, error) {
	if name != "" {
		return name, nil
	}
	switch c.Kind {
	case auth.KindUser:
		return c.Name, nil
	case auth.KindRoot:
		return "", nil
	}
	return "", awserr.ValidationError("Must specify userName when calling with non-User credentials")
}

func hasPrefix(s, prefix string) bool { return strings.HasPrefix(s, prefix) }

// sortBy sorts items stably by key.
func sortBy[T any](items []T, key func(T) string) {
	sort.SliceStable(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
}
