package mesh

import (
	"bytes"
	"iter"
	"net"
	"slices"
	"sync"
)

// Padding is what makes an echo or an MTU probe large. It is not signed:
// its length is (it sits before the tag), and its bytes are the fixed
// pattern 'a' + i%26, which a receiver compares byte for byte. A message
// that differs from the pattern anywhere in its padding is malformed, so
// padding carries nothing an attacker could choose, and a 64 KiB echo costs
// a comparison instead of four HMACs over 64 KiB (each as long as the echo
// itself on loopback).

// padPeriod is the pattern's period; padChunk, a multiple of it, is the
// longest run of the pattern kept in memory, enough for any datagram.
const (
	padPeriod = 26
	padChunk  = padPeriod * 2521 // 65546 B
)

// padPattern is padChunk bytes of the pattern. Read only.
var padPattern = func() []byte {
	b := make([]byte, padChunk)
	for i := range b {
		b[i] = byte('a' + i%padPeriod)
	}
	return b
}()

// padChunks is n bytes of padding as runs of the pattern (each a multiple
// of its period long but the last, so each starts at the pattern's start).
func padChunks(n int) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for ; n > 0; n -= padChunk {
			if !yield(padPattern[:min(n, padChunk)]) {
				return
			}
		}
	}
}

// appendPad appends n bytes of padding to b.
func appendPad(b []byte, n int) []byte {
	for c := range padChunks(n) {
		b = append(b, c...)
	}
	return b
}

// isPad says whether b is padding: the pattern from its first byte.
func isPad(b []byte) bool {
	at := 0
	for c := range padChunks(len(b)) {
		if !bytes.Equal(b[at:at+len(c)], c) {
			return false
		}
		at += len(c)
	}
	return true
}

// padBuffers is n bytes of padding as slices of the pattern, for a vectored
// write that copies nothing.
func padBuffers(bufs net.Buffers, n int) net.Buffers {
	return slices.AppendSeq(bufs, padChunks(n))
}

// Buffers for frames and datagrams, reused: a small class for the headers
// and small messages of every exchange, a large one that holds any message
// of the default maximum payload in a frame (or any datagram). Larger
// frames (views, a raised MaxPayload) are allocated and dropped.
const (
	smallBuf = 4 << 10
	largeBuf = frameHeader + DefaultMaxPayload + HeaderBound
)

var (
	smallBufs = sync.Pool{New: func() any { return new([smallBuf]byte) }}
	largeBufs = sync.Pool{New: func() any { return new([largeBuf]byte) }}
)

// getBuf returns a buffer of length n, from a pool when one of its classes
// holds n bytes. Give it back with putBuf once nothing refers to it.
func getBuf(n int) []byte {
	switch {
	case n <= smallBuf:
		return smallBufs.Get().(*[smallBuf]byte)[:n]
	case n <= largeBuf:
		return largeBufs.Get().(*[largeBuf]byte)[:n]
	}
	return make([]byte, n)
}

// pooled says whether putBuf would keep b.
func pooled(b []byte) bool { return cap(b) == smallBuf || cap(b) == largeBuf }

// putBuf returns b, from getBuf, to its pool; other buffers are left to
// the collector.
func putBuf(b []byte) {
	switch cap(b) {
	case smallBuf:
		smallBufs.Put((*[smallBuf]byte)(b[:smallBuf]))
	case largeBuf:
		largeBufs.Put((*[largeBuf]byte)(b[:largeBuf]))
	}
}
