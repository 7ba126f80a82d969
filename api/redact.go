package api

import (
	"maps"

	"github.com/swarmlink/swarmlink/controller"
	"github.com/swarmlink/swarmlink/history"
	"github.com/swarmlink/swarmlink/internal/redact"
)

// redactChecks returns copies of cs with the credentials a check may carry
// hidden: a target URL's password, credential headers of an HTTP probe, and
// passwords quoted by the last result's message. cs is shared with the
// controller, so nothing it points to is modified.
func redactChecks(cs []controller.CheckStatus) []controller.CheckStatus {
	out := make([]controller.CheckStatus, len(cs))
	for i, c := range cs {
		c.Spec.Spec.Target = redact.Password(c.Spec.Spec.Target)
		if h := c.Spec.Spec.HTTP; h != nil && len(h.Headers) > 0 {
			copied := *h
			copied.Headers = maps.Clone(h.Headers)
			for k, v := range copied.Headers {
				copied.Headers[k] = redact.Header(k, v)
			}
			c.Spec.Spec.HTTP = &copied
		}
		if r := c.Status.LastResult; r != nil {
			copied := *r
			copied.Message = redact.PasswordsIn(r.Message)
			c.Status.LastResult = &copied
		}
		out[i] = c
	}
	return out
}

// redactRecords hides passwords quoted by the records' messages, in place
// (the records are the caller's own copies from the store).
func redactRecords(rs []history.Record) []history.Record {
	for i := range rs {
		rs[i].Message = redact.PasswordsIn(rs[i].Message)
	}
	return rs
}

func redactTransitions(ts []history.Transition) []history.Transition {
	for i := range ts {
		ts[i].Message = redact.PasswordsIn(ts[i].Message)
	}
	return ts
}
