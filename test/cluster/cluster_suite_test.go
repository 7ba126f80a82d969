package cluster

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The harness's own unit tests: what needs no root and no engine. The
// harness as a whole is proven by the e2e suite, which ends in LeakCheck.
func TestCluster(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "test/cluster")
}

var _ = Describe("names", func() {
	DescribeTable("every per-node name carries the prefix or the state dir",
		func(i int, ns, veth, addr, bip string) {
			n := namesFor(i)
			Expect(n.NS).To(Equal(ns))
			Expect(n.Veth).To(Equal(veth))
			Expect(n.Addr).To(Equal(addr))
			Expect(n.BIP).To(Equal(bip))
			Expect(n.Dir).To(HavePrefix(StateDir + "/"))
			Expect(n.Cgroup).To(HavePrefix("/" + CgroupPrefix))
			Expect(len(n.Peer)).To(BeNumerically("<=", 15), "an interface name fits IFNAMSIZ")
		},
		Entry("node1", 1, "sl-n1", "sl-v1", "10.99.0.11", "172.21.0.1/16"),
		Entry("node3", 3, "sl-n3", "sl-v3", "10.99.0.13", "172.23.0.1/16"),
	)
})

var _ = Describe("fault rules", func() {
	It("insert, check and delete the same commented DROP rule", func() {
		r := dropRule{"raw", "PREROUTING", []string{"-p", "tcp", "--dport", "9470"}}
		Expect(r.args("-I")).To(Equal([]string{"iptables", "-t", "raw", "-I", "PREROUTING",
			"-p", "tcp", "--dport", "9470", "-m", "comment", "--comment", RuleComment, "-j", "DROP"}))
		Expect(r.args("-D")[3]).To(Equal("-D"))
	})
	It("an MTU black hole matches VXLAN whose outer IP packet is L bytes or longer", func() {
		Expect(vxlanLonger(1000)).To(Equal([]string{"-p", "udp", "--dport", "4789", "-m", "length", "--length", "1000:65535"}))
		Expect(VXLANOverhead).To(Equal(50), "outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14")
	})
})

var _ = Describe("options", func() {
	It("default to three nodes, swarmlink:dev and the repository around the working directory", func() {
		var o Options
		Expect(o.defaults()).To(Succeed())
		Expect(o.Nodes).To(Equal(3))
		Expect(o.Image).To(Equal("swarmlink:dev"))
		Expect(filepath.Join(o.Repo, "go.mod")).To(BeAnExistingFile())
	})
	It("reject a node count the underlay cannot address", func() {
		o := Options{Nodes: 10}
		Expect(o.defaults()).To(MatchError(ContainSubstring("nodes must be 1..9")))
	})
	It("FindRepo fails outside the repository", func() {
		_, err := FindRepo(os.TempDir())
		Expect(err).To(MatchError(ContainSubstring("no go.mod")))
	})
})

var _ = Describe("process sweep", func() {
	It("never counts this process or its parents as leftovers", func() {
		a := ancestors()
		Expect(a).To(HaveKey(os.Getpid()))
		Expect(a).To(HaveKey(os.Getppid()))
	})
})

var _ = Describe("lock", func() {
	It("is not taken on a lock file that was removed and replaced while waiting", func() {
		path := filepath.Join(GinkgoT().TempDir(), "lock")
		Expect(os.WriteFile(path, nil, 0o644)).To(Succeed())
		f, err := os.Open(path)
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		Expect(sameFile(f, path)).To(BeTrue())
		Expect(os.Remove(path)).To(Succeed())
		Expect(os.WriteFile(path, nil, 0o644)).To(Succeed())
		Expect(sameFile(f, path)).To(BeFalse(), "a holder's release removed it; a newcomer made a new one")
	})
})

var _ = Describe("DialIn", func() {
	It("connects from inside the namespace it is given, and fails on a path that is none", func(ctx SpecContext) {
		if os.Geteuid() != 0 {
			Skip("setns needs root")
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		defer l.Close()
		c, err := DialIn(ctx, "/proc/self/ns/net", "tcp", l.Addr().String())
		Expect(err).NotTo(HaveOccurred())
		Expect(c.Close()).To(Succeed())

		_, err = DialIn(ctx, GinkgoT().TempDir(), "tcp", l.Addr().String())
		Expect(err).To(MatchError(ContainSubstring("setns")))
	})
})
