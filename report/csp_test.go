package report_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/report"
)

var _ = Describe("the HTML page under a CSP without 'unsafe-inline'", func() {
	It("has one style block, whose hash is StyleHash, and no inline style attribute or script", func() {
		y := yesterdays()
		var buf bytes.Buffer
		Expect(todays(&y).WriteHTML(&buf)).To(Succeed())
		page := buf.String()
		blocks := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(page, -1)
		Expect(blocks).To(HaveLen(1))
		sum := sha256.Sum256([]byte(blocks[0][1]))
		Expect(report.StyleHash).To(Equal("'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"))
		Expect(page).NotTo(MatchRegexp(`(?i)<[a-z][^>]*\s(style|on[a-z]+)\s*=`))
	})
})
