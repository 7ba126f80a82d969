package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/swarmlink/swarmlink/api"
	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/probes"
)

type secretChecks struct{ cs []controller.CheckStatus }

func (s secretChecks) Checks() []controller.CheckStatus { return s.cs }

type secretHistory struct{}

const leaked = `Get "https://ops:hunter22@web/health": EOF`

func (secretHistory) Query(context.Context, history.Filter) ([]history.Record, error) {
	return []history.Record{{Probe: "web", Message: leaked}}, nil
}

func (secretHistory) Transitions(context.Context, history.Filter) ([]history.Transition, error) {
	return []history.Transition{{Probe: "web", Message: leaked}}, nil
}

var _ = Describe("credentials in the API's views", func() {
	It("hides target passwords, credential headers and quoted passwords, without touching the controller's copy", func() {
		spec := probes.Spec{Name: "web", Kind: probes.KindHTTP, Target: "https://ops:hunter22@web/health",
			HTTP: &probes.HTTPOptions{Headers: map[string]string{"Authorization": "Bearer tok-123456", "Accept": "text/plain"}}}
		cs := []controller.CheckStatus{{Spec: controller.Check{Key: "k", Spec: spec},
			Status: controller.Status{LastResult: &probes.Result{Message: leaked}}}}
		s := api.New(api.Options{Checks: secretChecks{cs}, History: secretHistory{}, Gatherer: prometheus.NewRegistry(),
			Log: zap.NewNop()})
		srv := httptest.NewServer(s.Handler())
		DeferCleanup(srv.Close)
		for _, path := range []string{"/api/v1/checks", "/api/v1/history", "/api/v1/outages"} {
			resp, err := http.Get(srv.URL + path)
			Expect(err).NotTo(HaveOccurred())
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			Expect(string(body)).NotTo(ContainSubstring("hunter22"), path)
			Expect(string(body)).NotTo(ContainSubstring("tok-123456"), path)
			Expect(string(body)).To(ContainSubstring("ops:REDACTED@web/health"), path)
		}
		Expect(cs[0].Spec.Spec.Target).To(ContainSubstring("hunter22"), "the controller's check is not modified")
		Expect(cs[0].Spec.Spec.HTTP.Headers["Authorization"]).To(Equal("Bearer tok-123456"))
		Expect(cs[0].Status.LastResult.Message).To(Equal(leaked))
	})
})
