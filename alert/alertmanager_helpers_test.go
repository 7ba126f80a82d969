package alert_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// alertmanagerBinary is where the Debian package installs Alertmanager.
const alertmanagerBinary = "/usr/bin/prometheus-alertmanager"

const amConfig = `route:
  receiver: blackhole
receivers:
  - name: blackhole
`

// alertmanager is a real Alertmanager process on a loopback port, with
// clustering off and a null receiver.
type alertmanager struct {
	bin, dir, addr string
	cmd            *exec.Cmd
	done           chan struct{}
}

// startAlertmanager starts one, or returns nil when it is not installed.
func startAlertmanager() *alertmanager {
	bin := alertmanagerBinary
	if _, err := os.Stat(bin); err != nil {
		p, lerr := exec.LookPath("alertmanager")
		if lerr != nil {
			return nil
		}
		bin = p
	}
	dir, err := os.MkdirTemp("", "swarmlink-am-")
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(filepath.Join(dir, "am.yml"), []byte(amConfig), 0o600)).To(Succeed())
	a := &alertmanager{bin: bin, dir: dir, addr: "127.0.0.1:" + strconv.Itoa(freePort())}
	a.start()
	return a
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (a *alertmanager) url() string { return "http://" + a.addr }

// start runs the process and waits until it is ready.
func (a *alertmanager) start() {
	a.cmd = exec.Command(a.bin, "--config.file="+filepath.Join(a.dir, "am.yml"),
		"--storage.path="+filepath.Join(a.dir, "data"), "--web.listen-address="+a.addr,
		"--cluster.listen-address=", "--log.level=warn")
	a.cmd.Stdout, a.cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(a.cmd.Start()).To(Succeed())
	a.done = make(chan struct{})
	go func() {
		_ = a.cmd.Wait()
		close(a.done)
	}()
	Eventually(func() (int, error) {
		resp, err := http.Get(a.url() + "/-/ready")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}).WithTimeout(20 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal(http.StatusOK))
}

// stop kills the process and waits for it.
func (a *alertmanager) stop() {
	_ = a.cmd.Process.Kill()
	<-a.done
}

// close stops the process and removes its files.
func (a *alertmanager) close() {
	a.stop()
	_ = os.RemoveAll(a.dir)
}

// amAlert is the part of a gettable alert the specs look at.
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

// active returns the active alerts Alertmanager lists for destination.
func (a *alertmanager) active(destination string) ([]amAlert, error) {
	resp, err := http.Get(a.url() + "/api/v2/alerts?active=true")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var all []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		return nil, err
	}
	var out []amAlert
	for _, x := range all {
		if x.Labels["destination"] == destination {
			out = append(out, x)
		}
	}
	return out, nil
}

func needAlertmanager() {
	if am == nil {
		Skip("prometheus-alertmanager is not installed (" + alertmanagerBinary +
			"; apt-get install prometheus-alertmanager): skipping the real-Alertmanager specs")
	}
}
