package mesh

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Refusal codes. A responder that refuses a connection, or a frame it
// cannot authenticate, writes one of these in place of a frame length and
// closes: no frame is that long, and a prober holding another key could
// not verify a signed refusal anyway. The codes are unauthenticated, so
// they only ever name a refusal, never grant anything.
const (
	codeAuth    uint32 = 0xFFFFFFA1 // the tag did not verify: another key
	codeBusy    uint32 = 0xFFFFFFA2 // no free connection slot
	codeVersion uint32 = 0xFFFFFFA3 // another protocol version
)

// splitAbove is the frame size above which WriteFrame sends the length in
// a segment of its own.
const splitAbove = 1024

func refusal(code uint32) error {
	switch code {
	case codeAuth:
		return ErrAuthRefused
	case codeBusy:
		return ErrBusy
	case codeVersion:
		return ErrVersionRefused
	}
	return nil
}

// writeCode writes a refusal code, waiting at most 100 ms.
func writeCode(c net.Conn, code uint32) {
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write(binary.BigEndian.AppendUint32(nil, code))
}

// ReadFrame reads one length-prefixed frame of at most maxMessage bytes. The
// length is checked before anything is allocated: a frame announcing more
// than maxMessage (or less than MinMessage) is a *DropError and the stream
// must be abandoned. A refusal code in place of the length is ErrAuthRefused,
// ErrBusy or ErrVersionRefused. A clean end of stream before a frame is io.EOF.
func ReadFrame(r io.Reader, maxMessage int) ([]byte, error) {
	n, err := readLength(r, maxMessage)
	if err != nil {
		return nil, err
	}
	b, _, err := readBody(r, n)
	return b, err
}

// readLength reads and checks a frame's length.
func readLength(r io.Reader, maxMessage int) (int, error) {
	var hdr [frameHeader]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if err := refusal(n); err != nil {
		return 0, err
	}
	if uint64(n) > uint64(maxMessage) {
		return 0, drop(ReasonOversized, "frame of %d bytes exceeds %d", n, maxMessage)
	}
	if n < MinMessage {
		return 0, drop(ReasonMalformed, "frame of %d bytes is shorter than %d", n, MinMessage)
	}
	return int(n), nil
}

// readBody reads a frame body of n bytes into a buffer from getBuf, which
// the caller gives back with putBuf; got says how many arrived, also when
// it fails part-way.
func readBody(r io.Reader, n int) (b []byte, got int, err error) {
	b = getBuf(n)
	got, err = io.ReadFull(r, b)
	if err != nil {
		putBuf(b)
		return nil, got, fmt.Errorf("reading frame body: %w", noEOF(err))
	}
	return b, got, nil
}

// WriteFrame writes msg as one length-prefixed frame. A small frame goes in
// a single write; a large one's length goes first, in a small segment of
// its own, so that on a path that drops large packets the receiver still
// learns what was announced and can tell a lost frame from a cut one.
func WriteFrame(w io.Writer, msg []byte) error {
	return writeMessage(w, framed{b: append(make([]byte, frameHeader, frameHeader+len(msg)), msg...)})
}

// framed is an encoded message ready to send: b holds frameHeader bytes of
// room for a frame's length, then the message up to its tag; pad bytes of
// padding follow on the wire. b comes from getBuf (see Codec.frame).
type framed struct {
	b   []byte
	pad int
}

// none says whether there is no message.
func (f framed) none() bool { return f.b == nil }

// release gives f's buffer back; f is gone after it.
func (f framed) release() { putBuf(f.b) }

// datagram appends the message, padding included, to dst.
func (f framed) datagram(dst []byte) []byte {
	return appendPad(append(dst, f.b[frameHeader:]...), f.pad)
}

// writeMessage writes f as one frame (see WriteFrame): a small one in a
// single write, a large one's length first on its own, then the message and
// its padding in one vectored write that copies nothing.
func writeMessage(c io.Writer, f framed) error {
	n := len(f.b) - frameHeader + f.pad
	binary.BigEndian.PutUint32(f.b, uint32(n))
	if n <= splitAbove {
		if _, err := c.Write(appendPad(f.b, f.pad)); err != nil {
			return fmt.Errorf("writing frame: %w", err)
		}
		return nil
	}
	if _, err := c.Write(f.b[:frameHeader]); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	bufs := padBuffers(append(make(net.Buffers, 0, 3), f.b[frameHeader:]), f.pad)
	if _, err := bufs.WriteTo(c); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	return nil
}

// noEOF turns a clean EOF in the middle of a frame into ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// stallReader reads from c with a fresh deadline of d before every read:
// a frame that keeps arriving may take long, one that stops fails after d.
type stallReader struct {
	c net.Conn
	d time.Duration
}

func (s stallReader) Read(p []byte) (int, error) {
	_ = s.c.SetReadDeadline(time.Now().Add(s.d))
	return s.c.Read(p)
}
