package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/swarmlink/swarmlink/test/cluster"
)

// meshFormed is how long `up` waits, after the agents are healthy, for
// their mesh: at the demo's 10 s interval a few rounds of discovery,
// identity queries and probes.
const meshFormed = 3 * time.Minute

// matrix is the part of /api/v1/matrix that says the mesh has formed.
type matrix struct {
	Verdict string   `json:"verdict"`
	Partial bool     `json:"partial"`
	Nodes   []string `json:"nodes"`
	Cells   []struct {
		From, To, Path, State string
	} `json:"cells"`
}

// waitMeshFormed waits until every node's diagnosis is whole: all the
// nodes in it, every view in, every cell healthy. An agent that is healthy
// may not have found its peers yet; a fault injected then is one it
// cannot tell apart (it never learns whom it is cut from).
func waitMeshFormed(ctx context.Context, c *cluster.Cluster) error {
	return cluster.Poll(ctx, meshFormed, func() (bool, error) {
		for _, n := range c.Nodes {
			m, err := getMatrix(ctx, "http://"+n.Addr+":9470")
			if err != nil {
				return false, fmt.Errorf("%s: %w", n.Name, err)
			}
			if m.Partial || len(m.Nodes) != len(c.Nodes) || m.Verdict != "healthy" {
				return false, fmt.Errorf("%s: verdict %s, partial %t, nodes %v", n.Name, m.Verdict, m.Partial, m.Nodes)
			}
			for _, cell := range m.Cells {
				if cell.State != "healthy" {
					return false, fmt.Errorf("%s: %s → %s %s is %s", n.Name, cell.From, cell.To, cell.Path, cell.State)
				}
			}
		}
		return true, nil
	})
}

func getMatrix(ctx context.Context, base string) (matrix, error) {
	var m matrix
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/matrix", nil)
	if err != nil {
		return m, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	return m, json.NewDecoder(resp.Body).Decode(&m)
}
