package mesh_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/mesh"
)

// BenchmarkCodec measures Encode and Decode (HMAC-SHA256 tag, field layout,
// length checks) per message against two baselines over the same bytes: a
// bare sha256.Sum256, and an HMAC-SHA256 built with hmac.New, so the figures
// split into the cost of the MAC construction and the cost of the codec.
func BenchmarkCodec(b *testing.B) {
	for _, size := range []int{64, 1200, 64 << 10} {
		m := mesh.NewMessage(mesh.TypeEchoRequest, "node-1", "overlay", time.Now())
		m.Seq, m.Body = 42, benchPayload(size)
		enc, err := mesh.Encode(benchKey, m)
		if err != nil {
			b.Fatal(err)
		}
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
		b.Run(sizeName(size)+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := mesh.Encode(benchKey, m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sizeName(size)+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := mesh.Decode(benchKey, enc, mesh.DefaultMaxPayload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeRejected is what an unauthenticated input costs the
// responder before it is dropped: a datagram with a bad tag is hashed in
// full (128 B is about the smallest well-formed size), a short or
// wrong-version one is not. The baseline is sha256 of the
// same bytes.
func BenchmarkDecodeRejected(b *testing.B) {
	for _, size := range []int{128, 1200, 60 << 10} {
		garbage := benchPayload(size)
		garbage[0] = mesh.Version
		b.Run(sizeName(size)+"/sha256", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				_ = sha256.Sum256(garbage)
			}
		})
		b.Run(sizeName(size)+"/bad-mac", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if mesh.ReasonOf(decodeErr(garbage)) != mesh.ReasonBadMAC {
					b.Fatal("garbage was not rejected as bad_mac")
				}
			}
		})
	}
}

func decodeErr(b []byte) error {
	_, err := mesh.Decode(benchKey, b, mesh.DefaultMaxPayload)
	return err
}
