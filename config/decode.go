package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder strictly decodes a yaml.Node tree into Go values, collecting every
// error (with line, column and field path) instead of stopping at the first,
// and remembering where each field path was written so that later semantic
// validation can point at the same line.
type decoder struct {
	file   string
	errs   []FieldError
	lines  map[string]pos
	failed map[string]bool // paths that did not decode; validation stays quiet about them
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, lines: map[string]pos{}, failed: map[string]bool{}}
}

// decodeFailed reports whether path or one of its parents failed to decode:
// such a value holds a zero or default, and a semantic error about it would
// only repeat the decoding error.
func (d *decoder) decodeFailed(path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if d.failed[p] {
			return true
		}
	}
	return false
}

type pos struct{ line, col int }

var durationType = reflect.TypeOf(time.Duration(0))

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	d.errs = append(d.errs, FieldError{File: d.file, Line: n.Line, Column: n.Column,
		Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		d.lines[path] = pos{n.Line, n.Column}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the default in place
	}
	switch {
	case v.Type() == durationType:
		d.duration(n, v, path)
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case v.Kind() == reflect.Struct:
		d.structure(n, v, path)
	case v.Kind() == reflect.Slice:
		d.sequence(n, v, path)
	case v.Kind() == reflect.Map:
		d.mapping(n, v, path)
	default:
		d.scalar(n, v, path)
	}
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		sub := join(path, k.Value)
		idx, ok := fields[k.Value]
		switch {
		case !ok:
			d.fail(k, sub, "unknown field %q (known: %s)", k.Value, known(fields))
		case seen[k.Value]:
			d.fail(k, sub, "field %q given twice", k.Value)
		default:
			seen[k.Value] = true
			d.decode(val, v.Field(idx), sub)
			if val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode {
				d.lines[sub] = pos{k.Line, k.Column} // point at the key, not the block below it
			}
		}
	}
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", describe(n))
		return
	}
	if limit := listLimit(path); len(n.Content) > limit {
		d.fail(n, path, "list of %d entries: at most %d", len(n.Content), limit)
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode || v.Type().Key().Kind() != reflect.String {
		d.fail(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	if len(n.Content)/2 > MaxMapEntries {
		d.fail(n, path, "mapping of %d entries: at most %d", len(n.Content)/2, MaxMapEntries)
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(n.Content[i+1], elem, join(path, k.Value))
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
	v.Set(m)
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected a duration such as 500ms, 5s or 1m, got %s", describe(n))
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.fail(n, path, "invalid duration %q: expected a duration such as 500ms, 5s or 1m", n.Value)
		return
	}
	v.SetInt(int64(dur))
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected a %s, got %s", kindName(v.Kind()), describe(n))
		return
	}
	if len(n.Value) > MaxStringLength {
		d.fail(n, path, "value of %d bytes: at most %d", len(n.Value), MaxStringLength)
		return
	}
	var err error
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if b, err = strconv.ParseBool(n.Value); err == nil {
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		if i, err = strconv.ParseInt(n.Value, 0, 64); err == nil {
			v.SetInt(i)
		}
	case reflect.Float64:
		var f float64
		if f, err = strconv.ParseFloat(n.Value, 64); err == nil {
			v.SetFloat(f)
		}
	default:
		err = fmt.Errorf("unsupported type %s", v.Type())
	}
	if err != nil {
		d.fail(n, path, "invalid value %q: expected a %s", n.Value, kindName(v.Kind()))
	}
}

func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			out[tag] = i
		}
	}
	return out
}

func known(fields map[string]int) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.Float64:
		return "number"
	default:
		return "string"
	}
}
