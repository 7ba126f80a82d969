// Package dockerx holds what swarmlink's Docker API users share about the
// engine's answers: today, recognising a worker's "not a swarm manager".
package dockerx

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotManager is wrapped into errors from calls that only a swarm
// manager can answer (listing nodes, services, tasks) made on a worker or
// outside a swarm.
var ErrNotManager = errors.New("not a swarm manager")

// Wrap prefixes err with op and, when the engine says it is not a manager,
// also wraps ErrNotManager. The engine gives no typed error for it, only
// this text.
func Wrap(op string, err error) error {
	if IsNotManager(err) {
		return fmt.Errorf("%s: %w: %w", op, ErrNotManager, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// IsNotManager says whether err is, or carries, the engine's "not a swarm
// manager" answer.
func IsNotManager(err error) bool {
	return err != nil && (errors.Is(err, ErrNotManager) ||
		strings.Contains(strings.ToLower(err.Error()), "not a swarm manager"))
}
