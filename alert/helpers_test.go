package alert_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/internal/clocktest"
	"github.com/swarmlink/swarmlink/links"
	"github.com/swarmlink/swarmlink/probes"
)

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

func testLogger() *zap.Logger {
	enc := zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	return zap.New(zapcore.NewCore(enc, zapcore.AddSync(GinkgoWriter), zap.DebugLevel))
}

// fakeClock is the shared manual clock.
type fakeClock = clocktest.Fake

func newFakeClock(t time.Time) *fakeClock { return clocktest.New(t) }

// memKV is an in-memory alert.KV for specs that do not test durability.
type memKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (k *memKV) Put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[key] = b
	return nil
}

func (k *memKV) Get(key string, v any) (bool, error) {
	k.mu.Lock()
	b, ok := k.m[key]
	k.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(b, v)
}

func (k *memKV) Delete(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

func (k *memKV) ForEach(fn func(string, json.RawMessage) error) error {
	k.mu.Lock()
	keys := make([]string, 0, len(k.m))
	for key := range k.m {
		keys = append(keys, key)
	}
	k.mu.Unlock()
	for _, key := range keys {
		k.mu.Lock()
		b := k.m[key]
		k.mu.Unlock()
		if err := fn(key, b); err != nil {
			return err
		}
	}
	return nil
}

func (k *memKV) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}

// check is a check from agent "a" to dest over path running probe; a mesh
// path's check has the role its name ends with.
func check(dest, path, probe string) controller.Check {
	c := controller.Check{Key: "k/" + dest + "/" + path + "/" + probe,
		Link: controller.Link{Source: "a", Destination: dest, Path: path}, Spec: probes.Spec{Name: probe}}
	if path != alert.PathDirect {
		c.Origin = "mesh"
		c.Link.Role = links.Role(probe[strings.LastIndex(probe, "-")+1:])
		c.Link.Direction = links.Outbound
	}
	return c
}

func pass(at time.Time) probes.Result {
	return probes.Result{Passed: true, Reachable: true, Cause: probes.CauseOK, Started: at}
}

func fail(at time.Time, cause probes.Cause) probes.Result {
	return probes.Result{Cause: cause, Message: "probe said " + string(cause), Started: at}
}

// feed records n results of c, one second apart from at.
func feed(e *alert.Engine, c controller.Check, n int, ok bool, at time.Time) {
	for i := range n {
		r := fail(at.Add(time.Duration(i)*time.Second), probes.CauseTimeout)
		if ok {
			r = pass(at.Add(time.Duration(i) * time.Second))
		}
		e.Record(context.Background(), c, r)
	}
}

// recorder is a notifier that keeps every batch and can be told to fail.
type recorder struct {
	name  string
	dedup bool
	mu    sync.Mutex
	calls [][]alert.Alert
	err   error
}

func (r *recorder) Name() string       { return r.name }
func (r *recorder) Deduplicates() bool { return r.dedup }

func (r *recorder) Notify(_ context.Context, alerts []alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.calls = append(r.calls, alerts)
	return nil
}

func (r *recorder) setErr(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
}

// events returns "status name destination" of every alert received, in order.
func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.calls {
		for _, a := range c {
			out = append(out, a.Status+" "+a.Name+" "+a.Destination)
		}
	}
	return out
}

var errDown = errors.New("receiver down")

// hook is a webhook receiver that verifies signatures and counts messages.
type hook struct {
	*httptest.Server
	key     []byte
	mu      sync.Mutex
	status  int // answer; 0 = 200
	firing  map[string]int
	resolve map[string]int
	bad     int
}

func newHook(key string) *hook {
	h := &hook{key: []byte(key), firing: map[string]int{}, resolve: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(h.serve))
	DeferCleanup(h.Close)
	return h
}

func (h *hook) serve(w http.ResponseWriter, r *http.Request) {
	var body json.RawMessage
	err := json.NewDecoder(r.Body).Decode(&body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.status != 0 {
		w.WriteHeader(h.status)
		return
	}
	if err != nil || alert.VerifySignature(h.key, r.Header.Get(alert.HeaderTimestamp), body, r.Header.Get(alert.HeaderSignature)) != nil {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p alert.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		h.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for _, a := range p.Alerts {
		if a.Status == alert.StatusFiring {
			h.firing[a.Fingerprint]++
		} else {
			h.resolve[a.Fingerprint]++
		}
	}
}

func (h *hook) setStatus(code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = code
}

// badCount is the number of requests that failed verification.
func (h *hook) badCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bad
}

// sent returns the firing and the resolved messages received, over all alerts.
func (h *hook) sent() [2]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out [2]int
	for _, n := range h.firing {
		out[0] += n
	}
	for _, n := range h.resolve {
		out[1] += n
	}
	return out
}

func writeKey(key string) string {
	p := filepath.Join(GinkgoT().TempDir(), "hook.key")
	Expect(os.WriteFile(p, []byte(key+"\n"), 0o600)).To(Succeed())
	return p
}

func prometheusRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

// gauge returns the value of the gauge or counter name whose label values
// (in label-name order) are labelValues.
func gauge(reg *prometheus.Registry, name string, labelValues ...string) float64 {
	mfs, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var got []string
			for _, l := range m.GetLabel() {
				got = append(got, l.GetValue())
			}
			if slices.Equal(got, labelValues) {
				if m.GetGauge() != nil {
					return m.GetGauge().GetValue()
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	Fail("no metric " + name)
	return 0
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// inbound is agent "a"'s record of from's beacons over path.
func inbound(from, path string) controller.Check {
	return controller.Check{Key: "in/" + from + "/" + path, Origin: "mesh",
		Link: controller.Link{Source: from, Destination: "a", Path: path, Role: links.RoleArrival, Direction: links.Inbound},
		Spec: probes.Spec{Name: path + "-arrival"}}
}
