package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure Up. The zero value brings up three nodes from the
// repository around the working directory and deploys nothing.
type Options struct {
	Nodes  int       // number of engines; default 3 (one manager, two workers)
	Repo   string    // repository root; default FindRepo(".")
	Image  string    // image tag to build and load; default swarmlink:dev
	Stack  string    // stack name for Deploy; default swarmlink
	Deploy bool      // deploy charts/swarm/stack.yml once the image is loaded
	Config string    // agent config deployed with the stack instead of charts/swarm/swarmlink.yml (a path)
	Keep   bool      // mark the cluster as a demo that outlives this process
	Log    io.Writer // progress lines; default discard
	LogDir string    // if set, Down copies each engine's log here first
}

func (o *Options) defaults() error {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Nodes < 1 || o.Nodes > 9 {
		return fmt.Errorf("options: nodes must be 1..9, got %d", o.Nodes)
	}
	if o.Image == "" {
		o.Image = "swarmlink:dev"
	}
	if o.Stack == "" {
		o.Stack = "swarmlink"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Config != "" {
		abs, err := filepath.Abs(o.Config)
		if err != nil {
			return fmt.Errorf("options: config: %w", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("options: config: %w", err)
		}
		o.Config = abs
	}
	if o.Repo == "" {
		repo, err := FindRepo(".")
		if err != nil {
			return err
		}
		o.Repo = repo
	}
	return nil
}

// ErrDemoRunning is Up's error while a demo cluster (Options.Keep) exists.
var ErrDemoRunning = errors.New("a demo cluster is running (make demo-down removes it)")

// DemoRunning reports whether a demo cluster is kept on this machine.
func DemoRunning() bool {
	_, err := os.Stat(filepath.Join(StateDir, keepMarker))
	return err == nil
}

// Cluster is a running multi-host cluster. Nodes[0] is the Swarm manager.
type Cluster struct {
	Nodes []*Node
	Image string // the swarmlink image on every node
	Stack string // the stack name
	Repo  string // the repository the image was built from

	config string // the agent config DeployStack deploys; "" = the chart's own
	log    io.Writer
	logDir string
	lock   *os.File
}

// Manager is the Swarm manager node (node1).
func (c *Cluster) Manager() *Node { return c.Nodes[0] }

// Node returns the node with the given hostname, or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

func (c *Cluster) logf(format string, args ...any) {
	fmt.Fprintf(c.log, "cluster: "+format+"\n", args...)
}

// Up brings up a cluster: it removes what an earlier killed run left, starts
// the engines, forms the Swarm, builds the image from the tree, loads it on
// every node and, with opts.Deploy, deploys the stack. On failure it tears
// down whatever it made before returning.
func Up(ctx context.Context, opts Options) (*Cluster, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	c := &Cluster{Image: opts.Image, Stack: opts.Stack, Repo: opts.Repo, config: opts.Config,
		log: opts.Log, logDir: opts.LogDir}
	lock, err := acquireLock(ctx)
	if err != nil {
		return nil, err
	}
	if DemoRunning() {
		releaseLockOnly(lock) // leave the demo, and its lock file, alone
		return nil, ErrDemoRunning
	}
	c.lock = lock
	if err := c.up(ctx, opts); err != nil {
		downCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		return nil, errors.Join(err, c.Down(downCtx))
	}
	return c, nil
}

func (c *Cluster) up(ctx context.Context, opts Options) error {
	start := time.Now()
	if err := Cleanup(ctx); err != nil {
		return fmt.Errorf("cleaning up an earlier run: %w", err)
	}
	if err := c.makeNodes(ctx, opts); err != nil {
		return err
	}
	if opts.Keep {
		if err := os.WriteFile(filepath.Join(StateDir, keepMarker), nil, 0o644); err != nil {
			return fmt.Errorf("marking the demo cluster: %w", err)
		}
	}
	if err := c.startAll(ctx); err != nil {
		return err
	}
	c.logf("engines and binary ready after %s", time.Since(start).Round(time.Millisecond))
	if err := c.formSwarm(ctx); err != nil {
		return err
	}
	if err := c.loadImage(ctx); err != nil {
		return err
	}
	c.logf("swarm formed, image %s on %d nodes after %s", c.Image, len(c.Nodes), time.Since(start).Round(time.Millisecond))
	if opts.Deploy {
		return c.DeployStack(ctx)
	}
	return nil
}

// makeNodes creates the bridge, the namespaces and the state directories.
func (c *Cluster) makeNodes(ctx context.Context, opts Options) error {
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", StateDir, err)
	}
	if err := setupBridge(ctx); err != nil {
		return err
	}
	for i := 1; i <= opts.Nodes; i++ {
		n, err := newNode(i)
		if err != nil {
			return err
		}
		c.Nodes = append(c.Nodes, n)
		if err := os.MkdirAll(n.Dir(), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", n.Dir(), err)
		}
		if err := setupNodeNet(ctx, n.names); err != nil {
			return err
		}
	}
	return nil
}

// startAll starts every engine and builds the binary, concurrently.
func (c *Cluster) startAll(ctx context.Context) error {
	jobs := []func() error{func() error { return buildBinary(ctx, c.Repo) }}
	for _, n := range c.Nodes {
		jobs = append(jobs, func() error { return n.startEngine(ctx) })
	}
	return parallel(jobs...)
}

func (c *Cluster) formSwarm(ctx context.Context) error {
	m := c.Manager()
	if err := initSwarm(ctx, m); err != nil {
		return err
	}
	for _, n := range c.Nodes[1:] {
		if err := joinSwarm(ctx, m, n); err != nil {
			return err
		}
	}
	if err := waitNodesReady(ctx, m, len(c.Nodes)); err != nil {
		return fmt.Errorf("waiting for %d ready swarm nodes: %w", len(c.Nodes), err)
	}
	return nil
}

func (c *Cluster) loadImage(ctx context.Context) error {
	m := c.Manager()
	if err := buildImage(ctx, m, c.Repo, c.Image); err != nil {
		return err
	}
	var jobs []func() error
	for _, n := range c.Nodes[1:] {
		jobs = append(jobs, func() error { return copyImage(ctx, m, n, c.Image) })
	}
	return parallel(jobs...)
}

// Down stops every engine (SIGTERM first: dockerd stops its containers),
// then sweeps everything with the harness's names away (Cleanup) and
// releases the machine-wide lock. It is safe to call more than once.
func (c *Cluster) Down(ctx context.Context) error {
	var jobs []func() error
	for _, n := range c.Nodes {
		jobs = append(jobs, func() error { return n.stopEngine(ctx, 20*time.Second) })
	}
	err := parallel(jobs...)
	for _, n := range c.Nodes {
		n.Client.Close()
		err = errors.Join(err, n.saveLog(c.logDir))
	}
	err = errors.Join(err, Cleanup(ctx))
	releaseLock(c.lock)
	c.lock = nil
	return err
}

// parallel runs jobs concurrently and joins their errors.
func parallel(jobs ...func() error) error {
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = job() }()
	}
	wg.Wait()
	return errors.Join(errs...)
}
