package controller

import (
	"time"

	"github.com/swarmlink/swarmlink/probes"
)

// CheckStatus is the Kubernetes-style view of one check: what was asked
// (spec) and what was observed (status).
type CheckStatus struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     Check      `json:"spec"`
	Status   Status     `json:"status"`
}

// ObjectMeta names a check.
type ObjectMeta struct {
	Name       string            `json:"name"`
	Key        string            `json:"key"`
	Origin     string            `json:"origin"`
	Generation int64             `json:"generation"` // increments when the spec changes
	Labels     map[string]string `json:"labels,omitempty"`
}

// Status is what the controller observed for a check.
type Status struct {
	ObservedGeneration  int64          `json:"observedGeneration"`
	Conditions          []Condition    `json:"conditions"`
	ConsecutiveFailures int            `json:"consecutiveFailures"`
	LastResult          *probes.Result `json:"lastResult,omitempty"`
	RunningSince        time.Time      `json:"runningSince"` // when the current job started
	NextRun             time.Time      `json:"nextRun,omitempty"`
	Runs                int64          `json:"runs"`
	Failures            int64          `json:"failures"`
	Panics              int64          `json:"panics"`
}

// Condition is one aspect of a check's state, as in Kubernetes.
type Condition struct {
	Type               string    `json:"type"`   // Ready | Degraded
	Status             string    `json:"status"` // True | False | Unknown
	Reason             string    `json:"reason"`
	Message            string    `json:"message"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// Condition types.
const (
	ConditionReady    = "Ready"
	ConditionDegraded = "Degraded"
)

// recentWindow is how many recent results decide Degraded.
const recentWindow = 10

// checkState is the controller's mutable record of one check; guarded by
// Controller.mu.
type checkState struct {
	check      Check
	hash       uint64
	generation int64
	status     Status
	recent     []bool // last results, newest last, at most recentWindow
}

func newCheckState(c Check, hash uint64, generation int64, now time.Time) *checkState {
	st := &checkState{check: c, hash: hash, generation: generation}
	st.status.RunningSince = now
	st.status.Conditions = []Condition{
		{Type: ConditionReady, Status: "Unknown", Reason: "Pending", Message: "no result yet", LastTransitionTime: now},
		{Type: ConditionDegraded, Status: "Unknown", Reason: "Pending", Message: "no result yet", LastTransitionTime: now},
	}
	return st
}

// observe folds one result into the state.
func (st *checkState) observe(r probes.Result, gen int64, now time.Time) {
	s := &st.status
	s.Runs++
	s.ObservedGeneration = gen
	res := r
	s.LastResult = &res
	st.recent = append(st.recent, r.Passed)
	if len(st.recent) > recentWindow {
		st.recent = st.recent[1:]
	}
	if r.Passed {
		s.ConsecutiveFailures = 0
	} else {
		s.ConsecutiveFailures++
		s.Failures++
	}
	ready, reason := "True", "ProbePassed"
	if !r.Passed {
		ready, reason = "False", "ProbeFailed"
	}
	setCondition(s, ConditionReady, ready, reason, string(r.Cause)+": "+r.Message, now)
	failed := 0
	for _, ok := range st.recent {
		if !ok {
			failed++
		}
	}
	degraded, dreason := "False", "Stable"
	if failed > 0 {
		degraded, dreason = "True", "RecentFailures"
	}
	setCondition(s, ConditionDegraded, degraded, dreason,
		itoa(failed)+" of the last "+itoa(len(st.recent))+" results failed", now)
}

func setCondition(s *Status, typ, status, reason, msg string, now time.Time) {
	for i := range s.Conditions {
		c := &s.Conditions[i]
		if c.Type != typ {
			continue
		}
		if c.Status != status {
			c.LastTransitionTime = now
		}
		c.Status, c.Reason, c.Message = status, reason, msg
	}
}

func (st *checkState) snapshot() CheckStatus {
	s := st.status
	s.Conditions = append([]Condition(nil), st.status.Conditions...)
	return CheckStatus{
		Metadata: ObjectMeta{Name: st.check.Spec.Name, Key: st.check.Key, Origin: st.check.Origin,
			Generation: st.generation, Labels: st.check.Labels},
		Spec:   st.check,
		Status: s,
	}
}
