package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// page is one browser tab, with every error its console reported.
type page struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

// newPage starts a headless Chromium with one tab, closed after the spec.
func newPage() *page {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium),
		chromedp.Flag("headless", "new"), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	DeferCleanup(func() { cancel(); cancelAlloc() })
	p := &page{ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == "error" || m.IsException() {
				p.mu.Lock()
				p.errors = append(p.errors, m.String()+" "+m.URL)
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// Errors are the console's errors so far, but for the 404 of an API the
// agent may not have (the UI falls back from /api/v1/rollups to history)
// and the browser's own /favicon.ico for pages that are not the UI (the
// rendered report).
func (p *page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.errors {
		if !strings.Contains(e, "/api/v1/rollups") && !strings.HasSuffix(e, "/favicon.ico") {
			out = append(out, e)
		}
	}
	return out
}

// open navigates and waits for the document.
func (p *page) open(url string) {
	Expect(chromedp.Do(p.ctx, chromedp.Navigate(url))).To(Succeed())
}

// eval runs a JavaScript expression in the page.
func eval[T any](p *page, js string) T {
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	Expect(err).NotTo(HaveOccurred(), js)
	return v
}

// text polls the text of the first element matching a CSS selector ("" for
// none), for Eventually.
func (p *page) text(sel string) func() string {
	return func() string {
		return eval[string](p, `(document.querySelector(`+quote(sel)+`)?.innerText ?? "")`)
	}
}

// cell polls the words of the first element matching a CSS selector,
// child by child ("FAILING / host-down 3m"); unlike innerText it reads rows
// the browser has not laid out (content-visibility).
func (p *page) cell(sel string) func() string {
	return func() string {
		return eval[string](p, `(() => { const el = document.querySelector(`+quote(sel)+`);
			return !el ? "" : el.children.length ? [...el.children].map((c) => c.textContent).join(" / ") : el.textContent; })()`)
	}
}

// textContent polls the textContent of the first element matching sel.
func (p *page) textContent(sel string) func() string {
	return func() string {
		return eval[string](p, `(document.querySelector(`+quote(sel)+`)?.textContent ?? "")`)
	}
}

// count polls the number of elements matching a CSS selector.
func (p *page) count(sel string) func() int {
	return func() int { return eval[int](p, `document.querySelectorAll(`+quote(sel)+`).length`) }
}

// screenshot keeps the viewport as artifacts/name.png and returns its path.
func (p *page) screenshot(name string) string {
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(artifacts, name+".png")
	Expect(os.WriteFile(path, png, 0o644)).To(Succeed())
	GinkgoWriter.Printf("screenshot %s\n", path)
	return path
}

// rawTime is an RFC 3339 time with a fraction of a second: none may show.
const rawTime = `/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+/`

// noRawTimes reports whether the page's text shows no raw timestamp.
func (p *page) noRawTimes() bool {
	return eval[bool](p, `!`+rawTime+`.test(document.body.innerText)`)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// settle is how long a live refresh takes at most (the UI polls every 5 s).
const settle = 12 * time.Second
