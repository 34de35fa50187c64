package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// diff compares two values the way the store contract promises to keep
// them: times as instants (a backend stores UTC, so the location and the
// monotonic reading are not kept), and nil and empty slices alike (a
// backend need not tell "no tags" from "empty tags"). It returns "" when
// they match, or a description of every difference.
func diff(want, got any) string {
	var out []string
	compare(reflect.ValueOf(want), reflect.ValueOf(got), "", &out)
	return strings.Join(out, "\n")
}

func compare(w, g reflect.Value, path string, out *[]string) {
	if !w.IsValid() || !g.IsValid() {
		if w.IsValid() != g.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: want %v, got %v", path, w, g))
		}
		return
	}
	if w.Type() != g.Type() {
		*out = append(*out, fmt.Sprintf("%s: want type %s, got %s", path, w.Type(), g.Type()))
		return
	}
	if w.Type() == timeType {
		wt, gt := w.Interface().(time.Time), g.Interface().(time.Time)
		if !wt.Equal(gt) {
			*out = append(*out, fmt.Sprintf("%s: want %s, got %s", path, wt.Format(time.RFC3339Nano), gt.Format(time.RFC3339Nano)))
		}
		return
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: want %s, got %s", path, show(w), show(g)))
			}
			return
		}
		compare(w.Elem(), g.Elem(), path, out)
	case reflect.Struct:
		for i := range w.NumField() {
			compare(w.Field(i), g.Field(i), path+"."+w.Type().Field(i).Name, out)
		}
	case reflect.Slice, reflect.Array:
		if w.Len() != g.Len() {
			*out = append(*out, fmt.Sprintf("%s: want %d elements %s, got %d %s", path, w.Len(), show(w), g.Len(), show(g)))
			return
		}
		for i := range w.Len() {
			compare(w.Index(i), g.Index(i), fmt.Sprintf("%s[%d]", path, i), out)
		}
	default:
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: want %#v, got %#v", path, w.Interface(), g.Interface()))
		}
	}
}

func show(v reflect.Value) string {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return "nil"
	}
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return fmt.Sprintf("%+v", v.Interface())
}
