package mesh

import "time"

// SetClock makes r read the time from now; call it before Start.
func (r *Responder) SetClock(now func() time.Time) { r.clock = now }
