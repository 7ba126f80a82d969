package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// linkQuery are the flags `history` and `outages` share: one link, or every
// link of one node, over a window, asked of one agent's API.
type linkQuery struct {
	addr, format                    string
	source, destination, path, node string
	probe, since, until             string
	limit                           int
}

func (q *linkQuery) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&q.addr, "addr", "http://127.0.0.1:9470", "an agent's API: base URL or host:port")
	f.StringVar(&q.format, "format", "table", "output format: table or json")
	f.StringVar(&q.source, "source", "", "the link's source node")
	f.StringVar(&q.destination, "destination", "", "the link's destination node or target")
	f.StringVar(&q.path, "path", "", "the link's path: overlay, published, direct")
	f.StringVar(&q.probe, "probe", "", "one probe (check name) of the link")
	f.StringVar(&q.node, "node", "", "every link from or to this node (instead of --source/--destination)")
	f.StringVar(&q.since, "since", "1h", "from: RFC 3339 time or a duration ago (15m, 24h)")
	f.StringVar(&q.until, "until", "", "to: RFC 3339 time or a duration ago; default now")
	f.IntVar(&q.limit, "limit", 100, "at most this many entries per query (1-10000)")
}

func (q *linkQuery) check() error {
	switch {
	case q.format != "table" && q.format != "json":
		return usage("--format: invalid value %q: expected table or json", q.format)
	case q.node != "" && (q.source != "" || q.destination != ""):
		return usage("--node: cannot be combined with --source or --destination")
	case q.node == "" && q.source == "" && q.destination == "":
		return usage("no link given: set --source and/or --destination, or --node")
	case q.limit < 1 || q.limit > 10000:
		return usage("--limit: invalid value %d: expected 1-10000", q.limit)
	}
	return nil
}

func usage(format string, args ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
}

// values are the API query strings to ask: one for a link, two for a node
// (the links it is the source of, then those it is the destination of).
func (q *linkQuery) values() []url.Values {
	base := url.Values{}
	for k, v := range map[string]string{"path": q.path, "probe": q.probe, "since": q.since, "until": q.until} {
		if v != "" {
			base.Set(k, v)
		}
	}
	base.Set("limit", fmt.Sprint(q.limit))
	one := func(key, value string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		if value != "" {
			v.Set(key, value)
		}
		return v
	}
	if q.node != "" {
		return []url.Values{one("source", q.node), one("destination", q.node)}
	}
	v := one("source", q.source)
	if q.destination != "" {
		v.Set("destination", q.destination)
	}
	return []url.Values{v}
}

// fetchItems GETs endpoint with each query and decodes the items of every
// answer into T.
func fetchItems[T any](ctx context.Context, addr, endpoint string, queries []url.Values) ([]T, error) {
	base := strings.TrimRight(addr, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var out []T
	for _, v := range queries {
		var doc struct {
			Items []T    `json:"items"`
			Error string `json:"error"`
		}
		if err := getDoc(ctx, base+endpoint+"?"+v.Encode(), &doc); err != nil {
			return nil, fmt.Errorf("asking %s: %w", base, cmp.Or(errorText(doc.Error), err))
		}
		out = append(out, doc.Items...)
	}
	return out, nil
}

func getDoc(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return usage("--addr: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if jerr := json.Unmarshal(raw, v); resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	} else if jerr != nil {
		return fmt.Errorf("decoding the answer: %w", jerr)
	}
	return nil
}

// errorText is the API's own error message, when it sent one.
func errorText(s string) error {
	if s == "" {
		return nil
	}
	return fmt.Errorf("%s", s)
}

// writeJSON prints v as indented JSON; an empty list prints as [].
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// stamp formats t for tables: UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }
