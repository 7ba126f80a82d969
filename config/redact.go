package config

import "github.com/swarmlink/swarmlink/internal/redact"

// redacted returns s with every URL its errors quote redacted (see
// redact.URL): a failed reload's errors are served by the status API and
// logged, and a rejected Slack, webhook or probe URL may hold a password,
// a token or a secret path.
func (s ReloadStatus) redacted() ReloadStatus {
	s.Error = redact.URLsIn(s.Error)
	if s.Errors != nil {
		errs := make([]FieldError, len(s.Errors))
		for i, fe := range s.Errors {
			fe.Msg = redact.URLsIn(fe.Msg)
			errs[i] = fe
		}
		s.Errors = errs
	}
	return s
}
