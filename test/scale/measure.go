package scale

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Scrape is what one GET /metrics says.
type Scrape struct {
	Series    int     // sample lines (not comments)
	Probes    float64 // sum of swarmlink_probe_results_total
	Fetches   float64 // sum of swarmlink_view_fetches_total: peers' views fetched
	ViewBytes float64 // swarmlink_view_received_bytes_total
}

// scrape reads an agent's /metrics.
func scrape(ctx context.Context, base string) (Scrape, error) {
	body, _, err := fetch(ctx, base+"/metrics")
	if err != nil {
		return Scrape{}, err
	}
	var s Scrape
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s.Series++
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		switch {
		case strings.HasPrefix(line, "swarmlink_probe_results_total{"):
			s.Probes += v
		case strings.HasPrefix(line, "swarmlink_view_fetches_total{"):
			s.Fetches += v
		case strings.HasPrefix(line, "swarmlink_view_received_bytes_total "):
			s.ViewBytes += v
		}
	}
	return s, sc.Err()
}

// client bounds every request: a starved agent must not stall the run.
var client = &http.Client{Timeout: 10 * time.Second}

// slowClient is for the matrix, whose latency is a figure: at K=50 on a
// loaded machine it took over 20 s.
var slowClient = &http.Client{Timeout: 45 * time.Second}

// fetch GETs url and returns its body and how long the whole answer took.
func fetch(ctx context.Context, url string) ([]byte, time.Duration, error) {
	return fetchWith(ctx, client, url)
}

func fetchWith(ctx context.Context, c *http.Client, url string) ([]byte, time.Duration, error) {
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", url, resp.Status)
	}
	return body, took, err
}

// Finding is one diagnosis finding of GET /api/v1/matrix.
type Finding struct {
	Kind  string `json:"kind"`
	Node  string `json:"node,omitempty"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// Matrix is the part of GET /api/v1/matrix the harness reads.
type Matrix struct {
	Verdict  string     `json:"verdict"`
	Cells    []struct{} `json:"cells"`
	Findings []Finding  `json:"findings"`
}

// matrix GETs an agent's matrix, with its latency and size.
func matrix(ctx context.Context, base string) (Matrix, time.Duration, int, error) {
	body, took, err := fetchWith(ctx, slowClient, base+"/api/v1/matrix")
	if err != nil {
		return Matrix{}, took, 0, err
	}
	var m Matrix
	if err := json.Unmarshal(body, &m); err != nil {
		return Matrix{}, took, len(body), fmt.Errorf("decoding matrix: %w", err)
	}
	return m, took, len(body), nil
}

// snapshot is every agent's process and metrics figures at one moment; ok
// is false for an agent that did not answer.
type snapshot struct {
	at     time.Time
	procs  []ProcStat
	scrape []Scrape
	ok     []bool
}

// takeSnapshot reads every agent, eight at a time (a starved agent answers
// slowly, and 200 of them one by one would outlast the window); it fails
// only when none answers.
// Only agents with sampled[i] are scraped; the others' /proc is read.
func takeSnapshot(ctx context.Context, agents []*Agent, sampled []bool) (snapshot, []string, error) {
	n := len(agents)
	s := snapshot{at: time.Now(), procs: make([]ProcStat, n), scrape: make([]Scrape, n), ok: make([]bool, n)}
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			s.procs[i], errs[i] = readProcStat(a.Cmd.Process.Pid)
			if errs[i] == nil && sampled[i] {
				s.scrape[i], errs[i] = scrape(ctx, a.URL)
			}
			s.ok[i] = errs[i] == nil
		}()
	}
	wg.Wait()
	var msgs []string
	for i, err := range errs {
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("%s: %v", nodeName(agents[i].I), err))
		}
	}
	if len(msgs) == n {
		return s, msgs, fmt.Errorf("no agent answered: %s", msgs[0])
	}
	return s, msgs, ctx.Err()
}
