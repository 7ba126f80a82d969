package links

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Endpoint is where a peer agent's API answers. Endpoints come only from
// the agent's own discovery, never from a client request.
type Endpoint struct {
	Node string
	URL  string // base URL, e.g. http://10.0.1.5:9470
}

// Collector fetches the link views of peer agents, with bounded concurrency
// and a short timeout per peer.
type Collector struct {
	Client      *http.Client
	Concurrency int           // default 8
	Timeout     time.Duration // per peer; default 2s
}

// Collect returns the views that answered and, for the others, why not.
func (c Collector) Collect(ctx context.Context, peers []Endpoint) (map[string]View, map[string]string) {
	conc, timeout := c.Concurrency, c.Timeout
	if conc <= 0 {
		conc = 8
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	views, failed := map[string]View{}, map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, conc)
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			v, err := c.fetch(ctx, p, timeout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[p.Node] = err.Error()
				return
			}
			views[p.Node] = v
		}()
	}
	wg.Wait()
	return views, failed
}

func (c Collector) fetch(ctx context.Context, p Endpoint, timeout time.Duration) (View, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/links", nil)
	if err != nil {
		return View{}, err
	}
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return View{}, fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return View{}, fmt.Errorf("answered %s", resp.Status)
	}
	var v View
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 8<<20)).Decode(&v); err != nil {
		return View{}, fmt.Errorf("bad view: %w", err)
	}
	return v, nil
}
