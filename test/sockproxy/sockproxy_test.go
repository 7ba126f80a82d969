package sockproxy_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/client"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/test/sockproxy"
)

// upstream is a fake engine on a unix socket that records every request it
// gets and answers /_ping as an API 1.41 engine does.
type upstream struct {
	mu   sync.Mutex
	seen []string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.seen = append(u.seen, r.Method+" "+r.URL.RequestURI())
	u.mu.Unlock()
	w.Header().Set("Api-Version", "1.41")
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/events") { // a stream: one event, then open until the caller goes
		fmt.Fprintln(w, `{"Type":"service","Action":"update","Actor":{"ID":"svc1"}}`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	fmt.Fprint(w, `{"Name":"fake"}`)
}

func (u *upstream) requests() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.seen...)
}

var _ = Describe("Proxy", func() {
	var (
		up    *upstream
		proxy *sockproxy.Proxy
		sock  string // the proxy's socket
		hc    *http.Client
	)
	BeforeEach(func(ctx SpecContext) {
		dir := GinkgoT().TempDir()
		up = &upstream{}
		ul, err := net.Listen("unix", filepath.Join(dir, "engine.sock"))
		Expect(err).NotTo(HaveOccurred())
		srv := &http.Server{Handler: up}
		go func() { _ = srv.Serve(ul) }()
		DeferCleanup(srv.Close)

		proxy = sockproxy.New(filepath.Join(dir, "engine.sock"), sockproxy.DefaultAllow())
		sock = filepath.Join(dir, "proxy.sock")
		l, err := sockproxy.Listen(sock)
		Expect(err).NotTo(HaveOccurred())
		pctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- proxy.Serve(pctx, l) }()
		DeferCleanup(func() { cancel(); Expect(<-done).To(Succeed()) })
		hc = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}}}
	})

	do := func(method, uri string) (int, string) {
		GinkgoHelper()
		req, err := http.NewRequest(method, "http://docker"+uri, nil)
		Expect(err).NotTo(HaveOccurred())
		resp, err := hc.Do(req)
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	DescribeTable("forwards read-only calls to the agent's endpoints, versioned or not",
		func(method, uri, endpoint string) {
			code, _ := do(method, uri)
			Expect(code).To(Equal(http.StatusOK))
			Expect(up.requests()).To(Equal([]string{method + " " + uri}), "the engine got it as sent")
			Expect(proxy.Allowed()).To(Equal(map[string]int{endpoint: 1}))
			Expect(proxy.Denied()).To(BeEmpty())
		},
		Entry("HEAD /_ping", http.MethodHead, "/_ping", "/_ping"),
		Entry("GET /_ping", http.MethodGet, "/_ping", "/_ping"),
		Entry("GET /v1.41/info", http.MethodGet, "/v1.41/info", "/info"),
		Entry("GET /v1.41/nodes", http.MethodGet, "/v1.41/nodes", "/nodes"),
		Entry("GET /v1.41/services", http.MethodGet, "/v1.41/services?status=true", "/services"),
		Entry("GET /v1.41/tasks with filters", http.MethodGet, `/v1.41/tasks?filters=%7B%22desired-state%22%3A%7B%22running%22%3Atrue%7D%7D`, "/tasks"),
		Entry("GET /v1.41/containers/json", http.MethodGet, "/v1.41/containers/json", "/containers/json"),
		Entry("GET /v1.41/networks with filters", http.MethodGet, "/v1.41/networks?filters=%7B%22driver%22%3A%7B%22overlay%22%3Atrue%7D%7D", "/networks"),
		Entry("GET /v1.41/networks/<id>, verbose", http.MethodGet, "/v1.41/networks/abc123?verbose=true&scope=swarm", "/networks/abc123"),
	)

	DescribeTable("refuses anything else with 403, counts it, and never reaches the engine",
		func(method, uri string) {
			code, body := do(method, uri)
			Expect(code).To(Equal(http.StatusForbidden), body)
			Expect(body).To(ContainSubstring("not allowed"))
			Expect(up.requests()).To(BeEmpty())
			Expect(proxy.Denied()).To(Equal([]string{method + " " + uri}))
			Expect(proxy.Allowed()).To(BeEmpty())
		},
		Entry("creating a container", http.MethodPost, "/v1.41/containers/create"),
		Entry("starting one", http.MethodPost, "/v1.41/containers/abc/start"),
		Entry("removing one", http.MethodDelete, "/v1.41/containers/abc"),
		Entry("exec", http.MethodPost, "/v1.41/containers/abc/exec"),
		Entry("updating a service", http.MethodPost, "/v1.41/services/abc/update"),
		Entry("a GET off the list: inspecting a container", http.MethodGet, "/v1.41/containers/abc/json"),
		Entry("a GET off the list: secrets", http.MethodGet, "/v1.41/secrets"),
		Entry("a GET off the list: the engine's logs of a container", http.MethodGet, "/v1.41/containers/abc/logs"),
		Entry("a prefix of an allowed path", http.MethodGet, "/v1.41/infos"),
		Entry("two segments under a one-segment wildcard", http.MethodGet, "/v1.41/networks/abc/disconnect"),
		Entry("a network action", http.MethodPost, "/v1.41/networks/abc/connect"),
		Entry("pruning networks", http.MethodPost, "/v1.41/networks/prune"),
		Entry("a path that climbs out of an allowed one", http.MethodGet, "/v1.41/info/../secrets"),
		Entry("an escaped slash", http.MethodGet, "/v1.41/containers%2Fjson"),
		Entry("a version prefix that is not one", http.MethodGet, "/v2/info"),
	)

	// The spec leaves the stream open: the proxy's shutdown (BeforeEach's
	// cleanup, which fails after 5 s) must end it.
	It("streams the engine's events as they come, and a stream left open does not hold its shutdown", func(ctx SpecContext) {
		cli, err := client.NewClientWithOpts(client.WithHost("unix://"+sock), client.WithAPIVersionNegotiation())
		Expect(err).NotTo(HaveOccurred())
		msgs, errs := cli.Events(context.Background(), events.ListOptions{})
		Eventually(ctx, msgs).WithTimeout(5*time.Second).Should(Receive(And(
			HaveField("Type", events.ServiceEventType), HaveField("Action", events.ActionUpdate))),
			"the event before the upstream's response ended")
		Consistently(errs, 200*time.Millisecond).ShouldNot(Receive(), "the stream stays open")
		Expect(proxy.Allowed()).To(HaveKeyWithValue("/events", 1))
	})

	It("lets the Docker SDK negotiate and read, and refuses its POST /containers/create", func(ctx SpecContext) {
		cli, err := client.NewClientWithOpts(client.WithHost("unix://"+sock), client.WithAPIVersionNegotiation())
		Expect(err).NotTo(HaveOccurred())
		defer cli.Close()
		info, err := cli.Info(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Name).To(Equal("fake"))
		_, err = cli.ContainerCreate(ctx, &container.Config{Image: "x"}, nil, nil, nil, "")
		Expect(err).To(MatchError(ContainSubstring("not allowed")))

		Expect(up.requests()).To(ContainElement("GET /v1.41/info"))
		Expect(up.requests()).NotTo(ContainElement(ContainSubstring("/containers/create")))
		Expect(proxy.Denied()).To(ConsistOf(HavePrefix("POST /v1.41/containers/create")))
		Expect(proxy.Allowed()).To(HaveKeyWithValue("/info", 1))
		Expect(strings.Join(up.requests(), "\n")).To(ContainSubstring("/_ping"), "the SDK negotiated through the proxy")
	})
})
