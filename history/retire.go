package history

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retire ends the open outage of a series whose link no longer exists (a
// peer that left, a check removed from the config), at time at, so that it
// does not stay "ongoing" forever. Its results stay. A series without an
// open outage is left alone. It commits in its own transaction.
func (s *Store) Retire(series string, at time.Time) error {
	err := s.update(OpRetire, func(tx *bolt.Tx) error {
		w := txWriter{series: tx.Bucket(bucketSeries), outages: tx.Bucket(bucketOutages)}
		key := []byte(series)
		var st seriesState
		if err := getJSON(w.series, key, &st); err != nil || st.Outage == nil {
			return err
		}
		if err := w.update(st.Outage, func(t *Transition) {
			t.End = &at
			t.Message += " (link retired)"
		}); err != nil {
			return err
		}
		st.Outage = nil
		return putJSON(w.series, key, st)
	})
	if err != nil {
		return fmt.Errorf("retiring series %q: %w", series, err)
	}
	return nil
}
