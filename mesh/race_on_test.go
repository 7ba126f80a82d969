//go:build race

package mesh_test

// raceEnabled: under the race detector sync.Pool drops a share of what is
// put back on purpose, so allocation figures mean nothing.
const raceEnabled = true
