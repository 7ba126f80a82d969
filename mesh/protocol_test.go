package mesh_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"runtime"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
)

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("another key, not the shared one!")
)

// encode is mesh.Encode that must succeed.
func encode(key []byte, m mesh.Message) []byte {
	GinkgoHelper()
	b, err := mesh.Encode(key, m)
	Expect(err).NotTo(HaveOccurred())
	return b
}

var _ = Describe("protocol", func() {
	now := time.Now()
	msg := func() mesh.Message {
		m := mesh.NewMessage(mesh.TypeEchoRequest, "node-a", "overlay", now)
		m.Recipient, m.Seq, m.Body = "node-b", 42, []byte("hello")
		return m
	}

	It("round-trips a message", func() {
		m := msg()
		got, err := mesh.Decode(testKey, encode(testKey, m), mesh.DefaultMaxPayload)
		Expect(err).NotTo(HaveOccurred())
		Expect(got).To(Equal(m))
	})

	It("refuses names longer than 255 bytes", func() {
		m := msg()
		m.Sender = string(bytes.Repeat([]byte("x"), 256))
		_, err := mesh.Encode(testKey, m)
		Expect(err).To(MatchError(ContainSubstring("longer than 255")))
	})

	DescribeTable("rejects bad input with a reason",
		func(mangle func([]byte) []byte, key []byte, want mesh.Reason) {
			_, err := mesh.Decode(key, mangle(encode(testKey, msg())), 16)
			Expect(mesh.ReasonOf(err)).To(Equal(want))
		},
		Entry("wrong key", func(b []byte) []byte { return b }, otherKey, mesh.ReasonBadMAC),
		Entry("flipped body byte", func(b []byte) []byte { b[len(b)-40] ^= 1; return b }, testKey, mesh.ReasonBadMAC),
		Entry("unknown version", func(b []byte) []byte { b[0] = 9; return b }, testKey, mesh.ReasonVersion),
		Entry("too short", func(b []byte) []byte { return b[:mesh.MinMessage-1] }, testKey, mesh.ReasonMalformed),
		Entry("empty", func([]byte) []byte { return nil }, testKey, mesh.ReasonMalformed),
		Entry("over max payload", func(b []byte) []byte {
			return append(b, make([]byte, mesh.MaxMessage(16))...)
		}, testKey, mesh.ReasonOversized),
	)

	It("rejects an authenticated message whose lengths do not add up", func() {
		b := encode(testKey, msg())
		signed := b[:len(b)-32]
		binary.BigEndian.PutUint32(signed[len(signed)-13:], 1000) // body length field
		_, err := mesh.Decode(testKey, resign(testKey, signed), mesh.DefaultMaxPayload)
		Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonMalformed))
	})

	Describe("padding", func() {
		padded := func() mesh.Message {
			m := msg()
			m.Pad = 3000
			return m
		}

		It("round-trips, the pattern after the tag", func() {
			m := padded()
			b := encode(testKey, m)
			Expect(b).To(HaveLen(len(encode(testKey, msg())) + 3000))
			want := make([]byte, 3000)
			for i := range want {
				want[i] = byte('a' + i%26)
			}
			Expect(b[len(b)-3000:]).To(Equal(want))
			got, err := mesh.Decode(testKey, b, mesh.DefaultMaxPayload)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(m))
			Expect(got.Size()).To(Equal(5 + 3000))
		})

		It("refuses padding that differs from the pattern in any byte", func() {
			for _, at := range []int{1, 1500, 3000} {
				b := encode(testKey, padded())
				b[len(b)-at] ^= 1
				_, err := mesh.Decode(testKey, b, mesh.DefaultMaxPayload)
				Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonMalformed), "byte %d from the end", at)
			}
		})

		It("signs its length: more or less padding than announced is refused", func() {
			b := encode(testKey, padded())
			_, err := mesh.Decode(testKey, b[:len(b)-1], mesh.DefaultMaxPayload)
			Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonMalformed))
			_, err = mesh.Decode(testKey, append(b, 'a'), mesh.DefaultMaxPayload)
			Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonMalformed))

			tagAt := len(b) - 3000 - 32
			binary.BigEndian.PutUint32(b[tagAt-4:], 2999) // the pad length, tag not redone
			_, err = mesh.Decode(testKey, b[:len(b)-1], mesh.DefaultMaxPayload)
			Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonBadMAC))
		})

		It("counts toward the max payload", func() {
			_, err := mesh.Decode(testKey, encode(testKey, padded()), 3000)
			Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonOversized))
		})
	})

	Describe("Guard", func() {
		It("accepts a fresh message once, then calls it a replay", func() {
			g := mesh.NewGuard(0, 0)
			m := msg()
			Expect(g.Check(m, now)).To(Succeed())
			Expect(mesh.ReasonOf(g.Check(m, now))).To(Equal(mesh.ReasonReplay))
		})

		DescribeTable("rejects timestamps outside the window",
			func(skew time.Duration, ok bool) {
				m := msg()
				err := mesh.NewGuard(30*time.Second, 0).Check(m, now.Add(skew))
				if ok {
					Expect(err).NotTo(HaveOccurred())
				} else {
					Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonClockSkew))
				}
			},
			Entry("29 s late", 29*time.Second, true),
			Entry("31 s late", 31*time.Second, false),
			Entry("29 s early", -29*time.Second, true),
			Entry("31 s early", -31*time.Second, false),
		)

		It("keeps a bounded number of nonces, evicting the oldest", func() {
			g := mesh.NewGuard(0, 4)
			first := msg()
			Expect(g.Check(first, now)).To(Succeed())
			for range 10 {
				Expect(g.Check(msg(), now)).To(Succeed())
			}
			Expect(g.Len()).To(Equal(4))
			Expect(g.Check(first, now)).To(Succeed(), "the oldest nonce was evicted")
		})
	})

	Describe("frames", func() {
		It("round-trips a frame", func() {
			var buf bytes.Buffer
			b := encode(testKey, msg())
			Expect(mesh.WriteFrame(&buf, b)).To(Succeed())
			Expect(mesh.ReadFrame(&buf, 1024)).To(Equal(b))
			_, err := mesh.ReadFrame(&buf, 1024)
			Expect(err).To(MatchError(io.EOF))
		})

		It("rejects a 1 GiB length prefix before allocating", func() {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := mesh.ReadFrame(io.MultiReader(bytes.NewReader([]byte{0x40, 0, 0, 0}), zeros{}), mesh.MaxMessage(mesh.DefaultMaxPayload))
			runtime.ReadMemStats(&after)
			Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonOversized))
			Expect(after.TotalAlloc - before.TotalAlloc).To(BeNumerically("<", 1<<20))
		})

		It("rejects a frame shorter than any message", func() {
			_, err := mesh.ReadFrame(bytes.NewReader([]byte{0, 0, 0, 3, 1, 2, 3}), 1024)
			Expect(mesh.ReasonOf(err)).To(Equal(mesh.ReasonMalformed))
		})

		It("reports a frame cut short", func() {
			_, err := mesh.ReadFrame(bytes.NewReader([]byte{0, 0, 0, 200, 1, 2, 3}), 1024)
			Expect(err).To(MatchError(io.ErrUnexpectedEOF))
		})
	})
})

// resign appends a valid tag to signed, as a key holder could.
func resign(key, signed []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(signed)
	return h.Sum(slices.Clone(signed))
}

// zeros is an endless reader.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
