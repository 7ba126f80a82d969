package controller_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/probes"
)

var _ = Describe("Check.Hash", func() {
	It("changes when any field of a check changes, at any depth", func() {
		base := fullCheck()
		seen := 0
		forEachLeaf(reflect.ValueOf(&base).Elem(), "Check", func(path string) {
			c := fullCheck()
			before := c.Hash()
			setLeaf(reflect.ValueOf(&c).Elem(), path)
			Expect(c.Hash()).NotTo(Equal(before), "changing %s left the hash alone", path)
			seen++
		})
		Expect(seen).To(BeNumerically(">", 40))
	})

	It("does not depend on the order of map entries, but on which key holds which value", func() {
		a, b := fullCheck(), fullCheck()
		a.Labels = map[string]string{"x": "1", "y": "2", "z": "3"}
		b.Labels = map[string]string{"z": "3", "y": "2", "x": "1"}
		Expect(a.Hash()).To(Equal(b.Hash()))
		b.Labels = map[string]string{"x": "2", "y": "1", "z": "3"}
		Expect(a.Hash()).NotTo(Equal(b.Hash()))
	})

	It("tells an empty options block from none", func() {
		a, b := fullCheck(), fullCheck()
		a.Spec.TCP, b.Spec.TCP = nil, &probes.TCPOptions{}
		Expect(a.Hash()).NotTo(Equal(b.Hash()))
	})
})

// fullCheck sets every options block, so that every leaf is reachable.
func fullCheck() controller.Check {
	return controller.Check{Key: "k", Origin: "o", Link: controller.Link{Source: "s", Destination: "d", Path: "p"},
		Spec: probes.Spec{Name: "n", Kind: "tcp", Target: "t", Timeout: 1, Expect: "reachable",
			TCP: &probes.TCPOptions{}, HTTP: &probes.HTTPOptions{Status: []int{200}, Headers: map[string]string{"a": "b"}},
			DNS: &probes.DNSOptions{Answers: []string{"x"}}, UDP: &probes.UDPOptions{}, ICMP: &probes.ICMPOptions{},
			Peer: &probes.PeerOptions{}},
		Interval: 1, Labels: map[string]string{"a": "b"}}
}

// forEachLeaf calls fn with the path of every scalar, slice element and map
// value under v (a path is field names, slice indexes and map keys).
func forEachLeaf(v reflect.Value, path string, fn func(string)) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			forEachLeaf(v.Field(i), path+"."+v.Type().Field(i).Name, fn)
		}
	case reflect.Pointer:
		forEachLeaf(v.Elem(), path, fn)
	case reflect.Slice:
		for i := range v.Len() {
			forEachLeaf(v.Index(i), path+"[]", fn)
		}
	case reflect.Map:
		fn(path + "{}")
	default:
		fn(path)
	}
}

// setLeaf changes the leaf at path (as forEachLeaf names it) in v.
func setLeaf(v reflect.Value, path string) {
	walkLeaf(v, path[len("Check"):])
}

func walkLeaf(v reflect.Value, rest string) {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	switch {
	case rest == "{}":
		v.SetMapIndex(reflect.ValueOf("a"), reflect.ValueOf("changed"))
	case rest == "":
		bump(v)
	case rest[:2] == "[]":
		walkLeaf(v.Index(0), rest[2:])
	default:
		name := rest[1:]
		end := len(name)
		for i, r := range name {
			if r == '.' || r == '[' || r == '{' {
				end = i
				break
			}
		}
		walkLeaf(v.FieldByName(name[:end]), name[end:])
	}
}

func bump(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "+")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Float64:
		v.SetFloat(v.Float() + 0.5)
	default:
		panic("no way to change a " + v.Kind().String())
	}
}

// BenchmarkCheckHash compares the digest with what it replaced (JSON of the
// check, then SHA-256), on a mesh-shaped check; read the ratio.
func BenchmarkCheckHash(b *testing.B) {
	chk := benchChecks(1)[0]
	b.Run("json-sha256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			j, _ := json.Marshal(chk)
			sum := sha256.Sum256(j)
			_ = hex.EncodeToString(sum[:8])
		}
	})
	b.Run("digest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = chk.Hash()
		}
	})
}
