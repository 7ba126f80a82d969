package agent

import (
	"context"
	"fmt"
	"sync"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/links"
)

// ladderSizes are the echo sizes of the full verification's large-payload
// ladder: around the usual MTUs (1500 on Ethernet, 1450 inside VXLAN) and
// on up to the largest echo, so the report shows where a path stops
// carrying payloads, not only that 64 KiB fails.
var ladderSizes = []int{512, 1024, 1400, 1450, 1472, 1500, 2048, 4096, 8192, 16384, 32768, 65536}

// ladder runs, for every mesh large-echo check among outcomes, the same echo
// at every ladder size (concurrently per check, bounded by the controller's
// concurrency limit) and returns the results keyed "<key>/ladder/<size>".
func (a *Agent) ladder(ctx context.Context, outcomes map[string]controller.Outcome) map[string]controller.Outcome {
	out := map[string]controller.Outcome{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, o := range outcomes {
		if o.Check.Link.Role != links.RoleLarge || o.Check.Spec.Peer == nil {
			continue
		}
		for _, size := range ladderSizes {
			c := rung(o.Check, size)
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, _ := a.ctrl.RunCheck(ctx, c)
				mu.Lock()
				out[c.Key] = controller.Outcome{Check: c, Result: r}
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return out
}

// rung is c with its echo size set to size, under its own key and name.
func rung(c controller.Check, size int) controller.Check {
	opts := *c.Spec.Peer
	opts.Size = size
	c.Spec.Peer = &opts
	c.Key = fmt.Sprintf("%s/ladder/%05d", c.Key, size)
	c.Spec.Name = fmt.Sprintf("%s-%d", c.Link.Path, size)
	return c
}
