package oldlinks

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

// Collect returns the link views that answered and, for the others, why not.
func (c Collector) Collect(ctx context.Context, peers []Endpoint) (map[string]View, map[string]string) {
	return CollectJSON[View](ctx, c, peers, "/api/v1/links")
}

// CollectJSON GETs path from every peer and decodes the JSON answers, with
// the collector's concurrency and timeout; it returns the answers and, for
// the peers that did not answer, why not.
func CollectJSON[T any](ctx context.Context, c Collector, peers []Endpoint, path string) (map[string]T, map[string]string) {
	conc, timeout := c.Concurrency, c.Timeout
	if conc <= 0 {
		conc = 8
	}
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	got, failed := map[string]T{}, map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, conc)
	for _, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var v T
			err := c.fetch(ctx, p.URL+path, timeout, &v)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[p.Node] = err.Error()
				return
			}
			got[p.Node] = v
		}()
	}
	wg.Wait()
	return got, failed
}

func (c Collector) fetch(ctx context.Context, url string, timeout time.Duration, v any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("answered %s", resp.Status)
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 8<<20)).Decode(v); err != nil {
		return fmt.Errorf("bad answer: %w", err)
	}
	return nil
}
