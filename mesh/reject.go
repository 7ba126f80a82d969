package mesh

import (
	"encoding/binary"
	"errors"
)

// Codes of a signed refusal (TypeReject). A responder signs a refusal only
// for a sender whose key it verified; it tells that sender why it stops.
const (
	rejectPartial   byte = 1 // detail: got u32 | want u32 of a frame that stopped arriving
	rejectClockSkew byte = 2 // the request's timestamp is outside the window; detail: empty
	rejectNoView    byte = 3 // this responder serves no view; detail: empty
	rejectRecipient byte = 4 // the request is addressed to another agent; detail: that name
	rejectNoSwarm   byte = 5 // this responder serves no swarm snapshot (not a manager's agent); detail: empty
	rejectNoDiag    byte = 6 // this responder serves no diagnosis (not an evaluator now); detail: empty
)

// errNoView is a responder's refusal to serve its view.
var errNoView = errors.New("peer serves no view")

// ErrNoSwarm is a responder's refusal to serve a swarm snapshot: its
// agent is not on a manager, or has not read the Swarm yet.
var ErrNoSwarm = errors.New("peer serves no swarm snapshot (not a manager's agent, or no read of the swarm yet)")

// ErrNoDiagnosis is a responder's refusal to serve its diagnosis: its
// agent does not diagnose the whole cluster now (not an alert evaluator).
var ErrNoDiagnosis = errors.New("peer serves no diagnosis (not an evaluator now)")

// rejectBody is the body of a refusal of the request with nonce ref.
func rejectBody(code byte, ref [NonceSize]byte, detail []byte) []byte {
	b := make([]byte, 0, 1+NonceSize+len(detail))
	b = append(b, code)
	b = append(b, ref[:]...)
	return append(b, detail...)
}

// parseReject splits a refusal's body; ok is false when it is malformed.
func parseReject(body []byte) (code byte, ref [NonceSize]byte, detail []byte, ok bool) {
	if len(body) < 1+NonceSize {
		return 0, ref, nil, false
	}
	copy(ref[:], body[1:1+NonceSize])
	return body[0], ref, body[1+NonceSize:], true
}

// partialDetail encodes got and want of a cut frame.
func partialDetail(got, want int) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(got))
	return binary.BigEndian.AppendUint32(b, uint32(want))
}

func parsePartial(detail []byte) (got, want int, ok bool) {
	if len(detail) != 8 {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint32(detail)), int(binary.BigEndian.Uint32(detail[4:])), true
}
