package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/swarmlink/swarmlink/internal/redact"
)

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

// RedactedYAML renders c as YAML with its secrets removed, for the API's
// and the UI's view of the running config: every URL as redact.URL shows it,
// every HTTP header value, and any value under a key that names a password,
// a token or a secret (the *_file keys name where a secret is, and stay).
// The rendering walks the YAML tree, so a field added later is covered by
// the same rules.
func (c *Config) RedactedYAML() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("config: encoding the running config: %w", err)
	}
	redactNode(&n, false)
	b, err := yaml.Marshal(&n)
	if err != nil {
		return nil, fmt.Errorf("config: rendering the running config: %w", err)
	}
	return b, nil
}

// redactNode redacts n's scalars in place; secret says every scalar below
// n is one.
func redactNode(n *yaml.Node, secret bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch {
		case n.Value == "":
		case secret:
			n.Value, n.Style = redact.Mark, 0
		case strings.Contains(n.Value, "://"):
			n.Value = redact.URL(n.Value)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			redactNode(n.Content[i+1], secret || secretKey(n.Content[i].Value))
		}
	default:
		for _, c := range n.Content {
			redactNode(c, secret)
		}
	}
}

// secretKey says whether a value under key is a secret itself.
func secretKey(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "_file") {
		return false
	}
	for _, s := range []string{"headers", "password", "token", "secret", "authorization"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}
