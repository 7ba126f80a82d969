package mesh_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/mesh"
)

// BenchmarkCodec measures a Codec's Append and Decode (HMAC-SHA256 tag,
// field layout, length checks) of a message whose body is the payload,
// against two baselines over the same bytes: a bare sha256.Sum256, and an
// HMAC-SHA256 built with hmac.New, so the figures split into the cost of
// the MAC construction and the cost of the codec. "padded" is the same
// size as padding, as echoes and MTU probes carry it: signed is the header
// only, the padding compared with its pattern.
func BenchmarkCodec(b *testing.B) {
	codec := mesh.NewCodec(benchKey)
	for _, size := range []int{64, 1200, 64 << 10} {
		m := mesh.NewMessage(mesh.TypeEchoRequest, "node-1", "overlay", time.Now())
		m.Seq, m.Body = 42, benchPayload(size)
		enc, err := mesh.Encode(benchKey, m)
		if err != nil {
			b.Fatal(err)
		}
		padded := m
		padded.Body, padded.Pad = nil, size
		encPadded, err := mesh.Encode(benchKey, padded)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, len(enc)+64)
		b.Run(sizeName(size)+"/sha256", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				_ = sha256.Sum256(enc)
			}
		})
		b.Run(sizeName(size)+"/hmac", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				h := hmac.New(sha256.New, benchKey)
				h.Write(enc)
				_ = h.Sum(nil)
			}
		})
		for _, c := range []struct {
			name string
			m    mesh.Message
			enc  []byte
		}{{"", m, enc}, {"padded-", padded, encPadded}} {
			b.Run(sizeName(size)+"/"+c.name+"encode", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.enc)))
				for b.Loop() {
					if _, err := codec.Append(buf[:0], c.m); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(sizeName(size)+"/"+c.name+"decode", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.enc)))
				for b.Loop() {
					if _, err := codec.Decode(c.enc, mesh.DefaultMaxPayload); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDecodeRejected is what an unauthenticated input costs the
// responder before it is dropped: a well-formed message under another key
// has its signed part hashed (its body; padding is not signed), input
// whose lengths do not add up (garbage) is not hashed at all. The baseline
// is sha256 of the same bytes.
func BenchmarkDecodeRejected(b *testing.B) {
	codec := mesh.NewCodec(benchKey)
	for _, size := range []int{128, 1200, 60 << 10} {
		m := mesh.NewMessage(mesh.TypeEchoRequest, "node-1", "overlay", time.Now())
		m.Body = benchPayload(size - mesh.MinMessage - 13)
		forged, err := mesh.Encode([]byte("another key"), m)
		if err != nil {
			b.Fatal(err)
		}
		garbage := benchPayload(size)
		garbage[0] = mesh.Version
		b.Run(sizeName(size)+"/sha256", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				_ = sha256.Sum256(forged)
			}
		})
		for _, c := range []struct {
			name string
			in   []byte
			want mesh.Reason
		}{{"bad-mac", forged, mesh.ReasonBadMAC}, {"garbage", garbage, mesh.ReasonMalformed}} {
			b.Run(sizeName(size)+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(c.in)))
				for b.Loop() {
					if _, err := codec.Decode(c.in, mesh.DefaultMaxPayload); mesh.ReasonOf(err) != c.want {
						b.Fatalf("rejected as %q, want %q", mesh.ReasonOf(err), c.want)
					}
				}
			})
		}
	}
}
