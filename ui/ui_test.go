package ui_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/net/html"

	"github.com/swarmlink/swarmlink/ui"
)

// server serves the UI as the agent mounts it.
func server() *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", ui.Handler())
	mux.Handle("GET "+ui.AssetsPrefix, ui.Assets())
	s := httptest.NewServer(mux)
	DeferCleanup(s.Close)
	return s
}

func fetch(url string) (*http.Response, string) {
	resp, err := http.Get(url)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp, string(b)
}

// assets are the embedded files, by name under static/.
func assets() []string {
	var names []string
	Expect(filepath.WalkDir("static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, filepath.ToSlash(strings.TrimPrefix(p, "static/")))
		}
		return err
	})).To(Succeed())
	return names
}

var _ = Describe("serving the UI", func() {
	It("serves the page as HTML under the UI's CSP, unsniffable", func() {
		resp, body := fetch(server().URL + "/")
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(resp.Header.Get("Content-Type")).To(Equal("text/html; charset=utf-8"))
		Expect(resp.Header.Get("Content-Security-Policy")).To(Equal("default-src 'self'; frame-ancestors 'none'"))
		Expect(resp.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
		Expect(body).To(ContainSubstring(`<script type="module" src="/ui/app.js">`))
	})

	DescribeTable("serves every asset with its type, the CSP and nosniff",
		func(name, contentType string) {
			resp, body := fetch(server().URL + ui.AssetsPrefix + name)
			Expect(resp.StatusCode).To(Equal(http.StatusOK))
			Expect(resp.Header.Get("Content-Type")).To(Equal(contentType))
			Expect(resp.Header.Get("Content-Security-Policy")).To(Equal(ui.ContentSecurityPolicy))
			Expect(resp.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
			want, err := os.ReadFile(filepath.Join("static", name))
			Expect(err).NotTo(HaveOccurred())
			Expect(body).To(Equal(string(want)))
		},
		Entry("the entry module", "app.js", "text/javascript; charset=utf-8"),
		Entry("a page module", "matrix.js", "text/javascript; charset=utf-8"),
		Entry("the chart module", "chart.js", "text/javascript; charset=utf-8"),
		Entry("the stylesheet", "app.css", "text/css; charset=utf-8"),
		Entry("the icon", "icon.svg", "image/svg+xml"),
	)

	It("serves every embedded file as JavaScript, CSS or an SVG image", func() {
		s := server()
		for _, name := range assets() {
			resp, _ := fetch(s.URL + ui.AssetsPrefix + name)
			Expect(resp.Header.Get("Content-Type")).To(Or(HavePrefix("text/javascript"), HavePrefix("text/css"),
				Equal("image/svg+xml")), name)
		}
	})

	DescribeTable("answers 404 with no listing for what is not a file",
		func(path string) {
			resp, body := fetch(server().URL + path)
			Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
			Expect(resp.Header.Get("X-Content-Type-Options")).To(Equal("nosniff"))
			Expect(body).NotTo(ContainSubstring("app.js"))
		},
		Entry("the assets directory", "/ui/"),
		Entry("a missing file", "/ui/nope.js"),
		Entry("a climb out of the directory", "/ui/../ui.go"),
	)

	It("keeps a stricter policy an outer handler set", func() {
		strict := "default-src 'none'; script-src 'self'"
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", strict)
			ui.Handler().ServeHTTP(w, r)
		})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		Expect(rec.Header().Get("Content-Security-Policy")).To(Equal(strict))
	})
})

var _ = Describe("the page's hygiene under the CSP", func() {
	var doc *html.Node
	BeforeEach(func() {
		_, body := fetch(server().URL + "/")
		var err error
		doc, err = html.Parse(strings.NewReader(body))
		Expect(err).NotTo(HaveOccurred())
	})

	It("has no inline script, style or event handler in index.html", func() {
		var scripts, sheets int
		for n := range doc.Descendants() {
			if n.Type != html.ElementNode {
				continue
			}
			for _, a := range n.Attr {
				Expect(a.Key).NotTo(Equal("style"), "style attribute on <%s>", n.Data)
				Expect(a.Key).NotTo(HavePrefix("on"), "event handler %s on <%s>", a.Key, n.Data)
				Expect(a.Val).NotTo(HavePrefix("javascript:"), "%s on <%s>", a.Key, n.Data)
			}
			switch n.Data {
			case "style":
				Fail("inline <style> block")
			case "script":
				scripts++
				Expect(attr(n, "src")).To(HavePrefix(ui.AssetsPrefix), "a script without src is inline")
				Expect(n.FirstChild).To(BeNil(), "script %s has an inline body", attr(n, "src"))
			case "link":
				if attr(n, "rel") == "stylesheet" {
					sheets++
					Expect(attr(n, "href")).To(HavePrefix(ui.AssetsPrefix))
				}
			}
		}
		Expect(scripts).To(Equal(1))
		Expect(sheets).To(Equal(1))
	})

	It("loads only files it embeds", func() {
		s := server()
		for n := range doc.Descendants() {
			for _, u := range []string{attr(n, "src"), attr(n, "href")} {
				if strings.HasPrefix(u, ui.AssetsPrefix) {
					resp, _ := fetch(s.URL + u)
					Expect(resp.StatusCode).To(Equal(http.StatusOK), u)
				}
			}
		}
	})

	It("builds no inline handler or style in the markup its scripts write, and imports only embedded modules", func() {
		handler := regexp.MustCompile(`\son[a-z]+\s*=\s*["'$]|\bstyle\s*=\s*["'$]|javascript:|<script|<style`)
		imports := regexp.MustCompile(`from "\./([a-z]+\.js)"`)
		have := map[string]bool{}
		for _, name := range assets() {
			have[name] = true
		}
		for _, name := range assets() {
			if !strings.HasSuffix(name, ".js") {
				continue
			}
			src, err := os.ReadFile(filepath.Join("static", name))
			Expect(err).NotTo(HaveOccurred())
			Expect(handler.FindString(string(src))).To(BeEmpty(), name)
			for _, m := range imports.FindAllStringSubmatch(string(src), -1) {
				Expect(have).To(HaveKey(m[1]), "%s imports %s", name, m[1])
			}
		}
	})
})

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
