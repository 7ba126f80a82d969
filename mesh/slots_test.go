package mesh_test

import (
	"io"
	"net"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/swarmlink/swarmlink/mesh"
)

var _ = Describe("Responder connection slots", func() {
	It("closes a connection that stays silent past the first-frame deadline, long before the idle timeout", func() {
		r := startResponder("n1", mesh.ResponderOptions{FirstFrame: 200 * time.Millisecond, ConnTimeout: 10 * time.Second})
		c, err := net.Dial("tcp", r.Addr())
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		Expect(err).To(MatchError(io.EOF), "the responder closes the silent connection (not our read deadline)")
		Expect(time.Since(start)).To(BeNumerically("<", 3*time.Second))
	})
})
