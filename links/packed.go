package links

// Packed is a Diagnosis in the form the web UI reads at scale. At 200 nodes
// a diagnosis has 79 600 cells and nearly all of them say only "healthy"
// four times; as JSON objects they are 10 MB that a browser takes most of a
// second to parse. Packed keeps in Cells only the cells that say more, and
// writes each of the others as one character of Healthy.
type Packed struct {
	Diagnosis
	// Healthy maps a path to one string per entry of Nodes (the source),
	// with one byte per entry of Nodes (the destination): '1' where that
	// direction is a plain healthy cell (state, forward, round trip and
	// large all healthy, nothing else said) left out of Cells, '0' where
	// it is in Cells or has no cell.
	Healthy map[string][]string `json:"healthy"`
}

// Plain says that c is healthy in every respect and says nothing else: a
// packed diagnosis gives it as one byte.
func (c Cell) Plain() bool {
	return c.State == Healthy && c.Forward == Healthy && c.RoundTrip == Healthy && c.Large == Healthy &&
		c.Cause == "" && c.LossPercent == 0 && c.Since.IsZero() && c.Message == "" && c.Finding == ""
}

// Pack gives d in packed form. Every cell of d is in the result, either
// whole in Cells (in d's order) or as a '1' in Healthy; a cell whose path
// or node is not among d's Paths and Nodes stays whole.
func (d Diagnosis) Pack() Packed {
	node := make(map[string]int, len(d.Nodes))
	for i, n := range d.Nodes {
		node[n] = i
	}
	rows := make(map[string][][]byte, len(d.Paths))
	for _, p := range d.Paths {
		rows[p] = nil
	}
	p := Packed{Diagnosis: d, Healthy: make(map[string][]string, len(d.Paths))}
	p.Cells = make([]Cell, 0, 16)
	for _, c := range d.Cells {
		grid, onPath := rows[c.Path]
		from, okFrom := node[c.From]
		to, okTo := node[c.To]
		if !c.Plain() || !onPath || !okFrom || !okTo {
			p.Cells = append(p.Cells, c)
			continue
		}
		if grid == nil {
			grid = zeroGrid(len(d.Nodes))
			rows[c.Path] = grid
		}
		grid[from][to] = '1'
	}
	for path, grid := range rows {
		if grid == nil {
			grid = zeroGrid(len(d.Nodes))
		}
		out := make([]string, len(grid))
		for i, r := range grid {
			out[i] = string(r)
		}
		p.Healthy[path] = out
	}
	return p
}

// zeroGrid is n rows of n '0' bytes.
func zeroGrid(n int) [][]byte {
	grid := make([][]byte, n)
	for i := range grid {
		grid[i] = make([]byte, n)
		for j := range grid[i] {
			grid[i][j] = '0'
		}
	}
	return grid
}

// Unpack is the inverse of Pack: the diagnosis with every packed cell
// whole again, after the cells that were kept whole.
func (p Packed) Unpack() Diagnosis {
	d := p.Diagnosis
	d.Cells = append([]Cell(nil), p.Cells...)
	for _, path := range d.Paths {
		for i, row := range p.Healthy[path] {
			for j := 0; j < len(row) && i < len(d.Nodes) && j < len(d.Nodes); j++ {
				if row[j] == '1' {
					d.Cells = append(d.Cells, Cell{From: d.Nodes[i], To: d.Nodes[j], Path: path,
						State: Healthy, Forward: Healthy, RoundTrip: Healthy, Large: Healthy})
				}
			}
		}
	}
	return d
}
