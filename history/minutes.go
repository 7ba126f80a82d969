package history

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"slices"
)

// Per-minute rollups are kept for the whole retention, long after the raw
// results are gone (Options.RawRetention): one block per series and hour.
//
// A block is a presence bitmap of the hour's minutes (8 bytes, bit m for
// minute m) and one entry per present minute, in minute order:
//
//	head byte: bit 4 failed, bit 5 echoes, bit 6 loss, bit 7 rtt; bits 0-3
//	  the results if 1-14, else 15 and a uvarint of them follows
//	[failed uvarint] [sent uvarint] [received uvarint, when fewer than sent]
//	[rtt p50 code, rtt p99 code: a byte each]
//
// A minute of six passed TCP probes is 3 bytes, of UDP echoes 4. RTTs are
// coded on a log scale (rttCode), 6 % apart from 10 µs to about 27 s.
const (
	minuteFailed = 1 << (4 + iota)
	minuteEchoes
	minuteLoss
	minuteRTT
	minuteCountMask = 0x0f
)

var errBadBlock = errors.New("malformed rollup block")

// minute is one series' results in one minute of an hour.
type minute struct {
	at                              int // minute of the hour, 0-59
	results, failed, sent, received int
	p50, p99                        uint8 // rttCode; 0: no round trip measured
}

// RTT codes: code c ≥ 1 stands for rttBase × rttStep^(c−1) seconds.
const (
	rttBase = 10e-6
	rttStep = 1.06
)

// rttCode is the code nearest to seconds (0 only for no RTT).
func rttCode(seconds float64) uint8 {
	if !(seconds > rttBase) { // also NaN
		return 1
	}
	c := math.Round(math.Log(seconds/rttBase)/math.Log(rttStep)) + 1
	return uint8(min(c, 255))
}

// rttSeconds is the value code c stands for.
func rttSeconds(c uint8) float64 { return rttBase * math.Pow(rttStep, float64(c)-1) }

// appendMinute appends m's entry.
func appendMinute(buf []byte, m minute) []byte {
	head := byte(minuteCountMask)
	if m.results >= 1 && m.results < minuteCountMask {
		head = byte(m.results)
	}
	if m.failed > 0 {
		head |= minuteFailed
	}
	if m.sent > 0 {
		head |= minuteEchoes
		if m.received < m.sent {
			head |= minuteLoss
		}
	}
	if m.p50 > 0 {
		head |= minuteRTT
	}
	buf = append(buf, head)
	if head&minuteCountMask == minuteCountMask {
		buf = binary.AppendUvarint(buf, uint64(m.results))
	}
	if head&minuteFailed != 0 {
		buf = binary.AppendUvarint(buf, uint64(m.failed))
	}
	if head&minuteEchoes != 0 {
		buf = binary.AppendUvarint(buf, uint64(m.sent))
	}
	if head&minuteLoss != 0 {
		buf = binary.AppendUvarint(buf, uint64(m.received))
	}
	if head&minuteRTT != 0 {
		buf = append(buf, m.p50, m.p99)
	}
	return buf
}

// encodeBlock encodes the minutes of one hour, sorted by minute, one
// entry per minute.
func encodeBlock(ms []minute) []byte {
	var present uint64
	for _, m := range ms {
		present |= 1 << m.at
	}
	buf := binary.BigEndian.AppendUint64(make([]byte, 0, 8+4*len(ms)), present)
	for _, m := range ms {
		buf = appendMinute(buf, m)
	}
	return buf
}

// decodeBlock decodes a block into its minutes, in minute order.
func decodeBlock(b []byte) ([]minute, error) {
	if len(b) < 8 {
		return nil, errBadBlock
	}
	present := binary.BigEndian.Uint64(b)
	if present>>60 != 0 {
		return nil, errBadBlock
	}
	b = b[8:]
	out := make([]minute, 0, bits.OnesCount64(present))
	for at := range 60 {
		if present&(1<<at) == 0 {
			continue
		}
		m, rest, err := decodeMinute(b)
		if err != nil {
			return nil, err
		}
		m.at, b = at, rest
		out = append(out, m)
	}
	if len(b) != 0 {
		return nil, errBadBlock
	}
	return out, nil
}

func decodeMinute(b []byte) (minute, []byte, error) {
	var m minute
	if len(b) == 0 {
		return m, nil, errBadBlock
	}
	head := b[0]
	b = b[1:]
	uv := func() int {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > math.MaxInt32 {
			b = nil
			return -1
		}
		b = b[n:]
		return int(v)
	}
	m.results, m.received = int(head&minuteCountMask), -1
	if head&minuteCountMask == minuteCountMask {
		m.results = uv()
	}
	if head&minuteFailed != 0 {
		m.failed = uv()
	}
	if head&minuteEchoes != 0 {
		m.sent = uv()
	}
	if head&minuteLoss != 0 {
		m.received = uv()
	} else {
		m.received = m.sent
	}
	if head&minuteRTT != 0 {
		if len(b) < 2 {
			return m, nil, errBadBlock
		}
		m.p50, m.p99, b = b[0], b[1], b[2:]
	}
	if b == nil || m.results < 1 || m.failed < 0 || m.sent < 0 || m.received < 0 || m.failed > m.results ||
		m.received > m.sent || (head&minuteRTT != 0 && (m.p50 == 0 || m.p99 < m.p50)) {
		return m, nil, errBadBlock
	}
	return m, b, nil
}

// openMinute is the minute a series' results are arriving in: its counts
// and the RTT codes so far (at most maxOpenRTTs, enough for one result a
// second), from which its percentiles are taken when it closes.
type openMinute struct {
	minute
	rtts []uint8
}

const maxOpenRTTs = 64

func (o *openMinute) add(r rollupFields) {
	failed, sent, received, rtt, ok := r.counts()
	o.results, o.failed, o.sent, o.received = o.results+1, o.failed+failed, o.sent+sent, o.received+received
	if ok && len(o.rtts) < maxOpenRTTs {
		o.rtts = append(o.rtts, rttCode(rtt))
	}
}

// closed is the minute with its percentiles taken.
func (o openMinute) closed() minute {
	m := o.minute
	m.p50, m.p99 = 0, 0
	if len(o.rtts) > 0 {
		s := slices.Sorted(slices.Values(o.rtts))
		m.p50, m.p99 = s[rank(len(s), 0.50)], s[rank(len(s), 0.99)]
	}
	return m
}

// rank is the nearest-rank index of the p-quantile of n sorted values.
func rank(n int, p float64) int { return min(max(int(math.Ceil(p*float64(n)))-1, 0), n-1) }
