package mesh_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/swarmlink/swarmlink/mesh"
)

// FuzzDecode feeds arbitrary bytes to the frame reader and the decoder, with
// the right key, as they come and re-signed, and checks that nothing panics, nothing beyond the limit is
// allocated, and that whatever decodes re-encodes to the same bytes (so no
// two inputs mean the same message).
func FuzzDecode(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1700000000, 0)
	for _, t := range []mesh.Type{mesh.TypeEchoRequest, mesh.TypeIdentityResponse, mesh.TypeBeacon} {
		m := mesh.NewMessage(t, "node-a", "overlay", now)
		m.Seq, m.Body = 7, []byte("payload")
		b, err := mesh.Encode(key, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-1])
		f.Add(append([]byte{0, 0, 0, byte(len(b))}, b...))
		m.Pad = 300
		if b, err = mesh.Encode(key, m); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		b[len(b)-1] ^= 1 // padding off the pattern
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{0x40, 0, 0, 0})
	f.Add(bytes.Repeat([]byte{0xff}, 100))

	const maxPayload = 1024
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeOrReason(t, key, b, maxPayload)
		// The same bytes with a valid tag: the fuzzer cannot forge one, so
		// this is what reaches the parser behind the tag check.
		if len(b) >= 32 {
			decodeOrReason(t, key, resign(key, b[:len(b)-32]), maxPayload)
		}
		frame, err := mesh.ReadFrame(bytes.NewReader(b), mesh.MaxMessage(maxPayload))
		if err == nil && len(frame) > mesh.MaxMessage(maxPayload) {
			t.Fatalf("frame of %d bytes over the limit", len(frame))
		}
		_ = mesh.NewGuard(time.Minute, 8).Check(mesh.Message{}, now)
	})
}

func decodeOrReason(t *testing.T, key, b []byte, maxPayload int) {
	m, err := mesh.Decode(key, b, maxPayload)
	if err != nil {
		if mesh.ReasonOf(err) == "" {
			t.Fatalf("decode error without a reason: %v", err)
		}
		return
	}
	again, err := mesh.Encode(key, m)
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("decoded message does not re-encode to its input: %v", err)
	}
}
