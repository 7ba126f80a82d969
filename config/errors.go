package config

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem in a config file: where it is and what was expected.
type FieldError struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Path   string `json:"path"`
	Msg    string `json:"message"`
}

// Error formats as "file:line:col: path: message".
func (e FieldError) Error() string {
	loc := e.File
	switch {
	case e.Line > 0 && e.Column > 0:
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	case e.Line > 0:
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Path == "" {
		return loc + ": " + e.Msg
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
}

// Error is every problem found in one config file, reported together.
type Error struct {
	File   string       `json:"file"`
	Errors []FieldError `json:"errors"`
}

// Error lists every problem, one per line, in file order.
func (e *Error) Error() string {
	lines := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		lines[i] = fe.Error()
	}
	return fmt.Sprintf("invalid config %s (%d problems):\n  %s", e.File, len(e.Errors),
		strings.Join(lines, "\n  "))
}

func sortErrors(errs []FieldError) {
	sort.SliceStable(errs, func(i, j int) bool {
		if errs[i].Line != errs[j].Line {
			return errs[i].Line < errs[j].Line
		}
		return errs[i].Column < errs[j].Column
	})
}

func sortStrings(s []string) { sort.Strings(s) }
