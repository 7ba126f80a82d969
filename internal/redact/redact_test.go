package redact_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/internal/redact"
)

const slackURL = "https://hooks.slack.com/services/T0SECRET1/B0SECRET2/XXXXSECRET3"

var _ = Describe("URL", func() {
	DescribeTable("keeps scheme, user, host and first path segment only",
		func(raw, want string) { Expect(redact.URL(raw)).To(Equal(want)) },
		Entry("slack path", slackURL, "https://hooks.slack.com/services/REDACTED"),
		Entry("password", "http://ops:hunter22@am:9093/", "http://ops:REDACTED@am:9093/"),
		Entry("query token", "https://hook.example/in?token=abcd1234&x=1", "https://hook.example/in?token=REDACTED&x=REDACTED"),
		Entry("fragment", "https://h.example/a#s3cr3t", "https://h.example/a#REDACTED"),
		Entry("host only", "http://alertmanager:9093", "http://alertmanager:9093"),
		Entry("one segment", "http://am:9093/hook", "http://am:9093/hook"),
		Entry("unparsable", "http://[::1%zz/x", redact.Mark),
	)
})

var _ = Describe("Scrubber", func() {
	s := redact.NewScrubber([]string{slackURL, "http://ops:hunter22@am:9093/api/v2/alerts?key=k3y-value"}, "bearer-token-1")

	DescribeTable("removes every form a secret takes in a text",
		func(text string, secrets ...string) {
			got := s.String(text)
			for _, secret := range secrets {
				Expect(got).NotTo(ContainSubstring(secret))
			}
			Expect(got).To(ContainSubstring(redact.Mark))
		},
		Entry("the whole URL", "Post \""+slackURL+"\": dial tcp: refused", "SECRET1", "SECRET2", "SECRET3"),
		Entry("a path segment alone", "token XXXXSECRET3 rejected", "SECRET3"),
		Entry("net/http's *** form", `Post "http://ops:***@am:9093/api/v2/alerts?key=k3y-value": EOF`, "k3y-value", "v2/alerts"),
		Entry("the password alone", "auth hunter22 failed", "hunter22"),
		Entry("a plain secret", "got bearer-token-1", "bearer-token-1"),
	)

	It("leaves texts without secrets alone, and the zero value scrubs nothing", func() {
		Expect(s.String("dial tcp 127.0.0.1:1: connection refused")).To(Equal("dial tcp 127.0.0.1:1: connection refused"))
		Expect(redact.Scrubber{}.String("hunter22")).To(Equal("hunter22"))
	})

	It("scrubs a wrapped *url.Error from a real request and keeps errors.Is and errors.As", func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, slackURL, nil)
		Expect(err).NotTo(HaveOccurred())
		_, err = http.DefaultClient.Do(req)
		Expect(err.Error()).To(ContainSubstring("SECRET3"), "the raw error carries the URL")
		err = redact.NewScrubber([]string{slackURL}).Error(fmt.Errorf("slack/ops: posting: %w", err))
		Expect(err.Error()).NotTo(ContainSubstring("SECRET"))
		Expect(err.Error()).To(ContainSubstring("hooks.slack.com/services/REDACTED"))
		Expect(errors.Is(err, context.Canceled)).To(BeTrue())
		var ue *url.Error
		Expect(errors.As(err, &ue)).To(BeTrue())
		Expect(ue.URL).NotTo(ContainSubstring("SECRET"), "unwrapping does not give the URL back")
		Expect(redact.Scrubber{}.Error(nil)).To(BeNil())
	})
})

var _ = Describe("URLsIn", func() {
	It("redacts every URL quoted in a text and keeps the punctuation after it", func() {
		text := `alerting.slack[0].url: invalid URL "` + slackURL + `": expected ...; see http://u:pw1@h/a/b.`
		got := redact.URLsIn(text)
		Expect(got).NotTo(ContainSubstring("SECRET"))
		Expect(got).NotTo(ContainSubstring("pw1"))
		Expect(got).To(ContainSubstring(`"https://hooks.slack.com/services/REDACTED"`))
		Expect(got).To(HaveSuffix("http://u:REDACTED@h/a/REDACTED."))
	})
})

var _ = Describe("Password and Header", func() {
	DescribeTable("Password hides only the password",
		func(raw, want string) { Expect(redact.Password(raw)).To(Equal(want)) },
		Entry("basic auth", "https://u:hunter22@web/health?x=1", "https://u:REDACTED@web/health?x=1"),
		Entry("no password", "https://u@web/health", "https://u@web/health"),
		Entry("host:port", "10.0.0.1:80", "10.0.0.1:80"),
	)
	DescribeTable("Header hides credentials",
		func(name, want string) { Expect(redact.Header(name, "v4lue")).To(Equal(want)) },
		Entry("Authorization", "Authorization", redact.Mark),
		Entry("Cookie", "cookie", redact.Mark),
		Entry("an API key", "X-Api-Key", redact.Mark),
		Entry("a token", "X-Auth-Token", redact.Mark),
		Entry("Accept", "Accept", "v4lue"),
		Entry("Host", "Host", "v4lue"),
	)
})

var _ = Describe("PasswordsIn", func() {
	It("hides the password of every URL in a text, and only that", func() {
		Expect(redact.PasswordsIn(`Get "https://u:hunter22@web/health?x=1": EOF; ftp://a:b@c/d`)).
			To(Equal(`Get "https://u:REDACTED@web/health?x=1": EOF; ftp://a:REDACTED@c/d`))
		Expect(redact.PasswordsIn("dial tcp 10.0.0.1:80: refused")).To(Equal("dial tcp 10.0.0.1:80: refused"))
	})
})
