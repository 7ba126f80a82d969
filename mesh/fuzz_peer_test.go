package mesh

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"net/netip"
	"testing"
	"time"

	"go.uber.org/zap"
)

var fuzzKey = []byte("0123456789abcdef0123456789abcdef")

// resigned is b with its last 32 bytes replaced by a valid tag, as a key
// holder could make it: what reaches the parser behind the tag check.
func resigned(b []byte) []byte {
	if len(b) < tagSize {
		return b
	}
	signed := bytes.Clone(b[:len(b)-tagSize])
	h := hmac.New(sha256.New, fuzzKey)
	h.Write(signed)
	return h.Sum(signed)
}

// signedAnswer is a message of type typ from node-b to node-a answering req
// with body.
func signedAnswer(t *testing.T, typ Type, req Message, body []byte) []byte {
	m := NewMessage(typ, "node-b", "", time.Now())
	m.Recipient, m.Seq, m.Body = "node-a", req.Seq, body
	b, err := Encode(fuzzKey, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzIdentity feeds arbitrary bytes to what reads a peer's hello and
// identity: a responder handling them as a connection's first frame (as
// they come and re-signed), and a prober reading them as the body of a
// signed identity answer. Nothing may panic, a refused hello must carry a
// reason, and an accepted identity always has a name.
//
// Run it for 5 minutes with:
//
//	go test ./mesh -run '^$' -fuzz FuzzIdentity -fuzztime 5m
func FuzzIdentity(f *testing.F) {
	f.Add([]byte(`{"name":"node-b","node_id":"n2","underlay_addrs":["192.0.2.2"],"role":"worker"}`))
	f.Add([]byte(`{"name":""}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[`))
	r, err := NewResponder(ResponderOptions{Key: fuzzKey, Identity: Identity{Name: "node-b"}}, zap.NewNop(), nil)
	if err != nil {
		f.Fatal(err)
	}
	p := NewProber(ClientOptions{Key: fuzzKey, Self: "node-a"})
	from := netip.MustParseAddrPort("127.0.0.1:1")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, in := range [][]byte{b, resigned(b)} {
			if _, _, err := r.handle(in, "tcp", from); err != nil && ReasonOf(err) == "" {
				t.Fatalf("hello refused without a reason: %v", err)
			}
		}
		req := NewMessage(TypeIdentityRequest, "node-a", "", time.Now())
		resp, err := p.open(signedAnswer(t, TypeIdentityResponse, req, b), maxIdentity)
		if err != nil {
			t.Fatalf("a signed identity answer does not open: %v", err)
		}
		if id, err := parseIdentity(req, resp); err == nil && id.Name == "" {
			t.Fatalf("identity without a name from %q", b)
		}
	})
}

// FuzzViewResponse feeds arbitrary bytes to a prober reading a view
// answer: as a whole message (as it comes and re-signed) and as the body
// of a signed view answer to a known request. Nothing may panic, and an
// accepted view is bound to the request's nonce, within MaxView, and of
// the agent that signed it.
//
// Run it for 5 minutes with:
//
//	go test ./mesh -run '^$' -fuzz FuzzViewResponse -fuzztime 5m
func FuzzViewResponse(f *testing.F) {
	var nonce [NonceSize]byte
	f.Add(append(nonce[:], `{"node":"node-b","links":[]}`...))
	f.Add(append(nonce[:], `{"node":"node-c"}`...))
	f.Add(nonce[:4])
	f.Add([]byte{})
	p := NewProber(ClientOptions{Key: fuzzKey, Self: "node-a"})
	f.Fuzz(func(t *testing.T, b []byte) {
		req := NewMessage(TypeViewRequest, "node-a", "", time.Now())
		req.Nonce = nonce // the seeds' nonce, so the fuzzer can reach past the binding
		body := b
		if len(b) >= NonceSize && bytes.Equal(b[:NonceSize], nonce[:]) {
			body = append(req.Nonce[:], b[NonceSize:]...)
		}
		for _, in := range [][]byte{b, resigned(b), signedAnswer(t, TypeViewResponse, req, body)} {
			resp, err := p.open(in, MaxView)
			if err != nil {
				continue
			}
			if viewDoc.check(req, resp, "") != nil {
				continue
			}
			if len(resp.Body) > MaxView || !bytes.Equal(resp.Body[:NonceSize], req.Nonce[:]) {
				t.Fatalf("accepted a view answer of %d bytes not bound to the request", len(resp.Body))
			}
			if viewDoc.checkOwner(resp.Sender, resp.Body[NonceSize:]) != nil {
				t.Fatalf("accepted a view of another agent than %q", resp.Sender)
			}
		}
	})
}
