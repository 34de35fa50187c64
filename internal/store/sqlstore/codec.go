package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/mantle-iam/mantle/internal/store"
)

// EncodeList stores nil and empty slices alike as "[]"; the decoders give
// back nil for an empty list so callers see one representation of "none".
func EncodeList(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode: %w", err)
	}
	if string(b) == "null" {
		return "[]", nil
	}
	return string(b), nil
}

// DecodeTags reads what EncodeList stored of a []store.Tag.
func DecodeTags(s string) ([]store.Tag, error) {
	return decode[store.Tag](s, "tags")
}

// DecodeStrings reads what EncodeList stored of a []string.
func DecodeStrings(s string) ([]string, error) {
	return decode[string](s, "list")
}

func decode[T any](s, what string) ([]T, error) {
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("store: bad stored %s: %w", what, err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}
