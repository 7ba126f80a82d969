package history

import (
	"context"
	"fmt"
	"time"
)

// retireTimeout bounds how long a retirement may wait for room in the
// queue: the caller may hold the controller's lock.
const retireTimeout = 2 * time.Second

// Retire ends the open outage of series at at, if it has one ("link
// retired"): the link is gone on purpose, so its outage is over. It goes
// through the writer, in order with the series' records, and returns once
// queued; Flush waits for it.
func (s *Store) Retire(series string, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), retireTimeout)
	defer cancel()
	if err := s.enqueue(ctx, item{retire: series, at: at}); err != nil {
		return fmt.Errorf("retiring series %q: %w", series, err)
	}
	return nil
}

// retire is Retire inside the writer's transaction.
func (w txWriter) retire(series string, at time.Time) error {
	key := []byte(series)
	st, err := getState(w.series, key)
	if err != nil || st.Outage == nil {
		return err
	}
	if err := w.update(st.Outage, func(t *Transition) {
		t.End = &at
		t.Message += " (link retired)"
	}); err != nil {
		return err
	}
	st.Outage = nil
	return putState(w.series, key, st)
}
