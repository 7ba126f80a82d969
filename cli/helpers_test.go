package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// run runs the binary to completion and returns the session.
func run(args ...string) *gexec.Session {
	s, err := gexec.Start(exec.Command(bin, args...), GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	Eventually(s, "20s").Should(gexec.Exit())
	return s
}

// writeFile writes content to name in dir and returns the path.
func writeFile(dir, name, content string) string {
	p := filepath.Join(dir, name)
	Expect(os.WriteFile(p, []byte(content), 0o600)).To(Succeed())
	return p
}

// freePort returns a loopback port that was free a moment ago.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// listen opens a loopback TCP listener that accepts and closes connections.
func listen() (net.Listener, string) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	DeferCleanup(l.Close)
	return l, l.Addr().String()
}

// getJSON GETs url and decodes the JSON body into v.
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// httpGet returns the body of a GET.
func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// metricsText returns the agent's /metrics page.
func metricsText(url string) string {
	s, err := httpGet(url + "/metrics")
	Expect(err).NotTo(HaveOccurred())
	return s
}

// readFile returns a file's content.
func readFile(path string) string {
	b, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}
