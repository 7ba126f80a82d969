package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Load reads, decodes, defaults and validates the config file at path.
// A validation failure is returned as *Error listing every problem.
func Load(path string) (*Config, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes, defaults and validates data read from file (a name used in
// errors only). Data over MaxFileBytes is rejected unparsed.
func Parse(file string, data []byte) (*Config, error) {
	if len(data) > MaxFileBytes {
		return nil, tooLarge(file, int64(len(data)))
	}
	d := newDecoder(file)
	c := &Config{File: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Errors: []FieldError{syntaxError(file, err)}}
	}
	if len(doc.Content) > 0 {
		d.decode(doc.Content[0], reflect.ValueOf(c).Elem(), "")
	}
	// Validate even after decoding errors, so that every problem of the file
	// is reported at once; the validator is quiet about values that did not
	// decode (see decodeFailed).
	c.ApplyDefaults()
	(&validator{d: d}).config(c)
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, &Error{File: file, Errors: d.errs}
	}
	return c, nil
}

func syntaxError(file string, err error) FieldError {
	fe := FieldError{File: file, Msg: "YAML syntax error: " + err.Error()}
	var line int
	if _, scanErr := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); scanErr == nil {
		fe.Line = line
	}
	return fe
}

// Default returns the documented built-in configuration used when the agent
// starts without a config file: its own API is probed over loopback so that a
// newcomer sees a check, history and metrics at once.
// listen overrides agent.listen ("" = the default) so the probe follows it.
func Default(listen string) *Config {
	c := &Config{File: EmbeddedDefaultSource, Agent: Agent{Listen: listen}}
	c.ApplyDefaults()
	c.Probes = []Probe{{
		Name:   "self-api",
		Kind:   "http",
		Target: "http://127.0.0.1" + portOf(c.Agent.Listen) + "/healthz",
	}}
	c.ApplyDefaults()
	return c
}

func portOf(listen string) string {
	for i := len(listen) - 1; i >= 0; i-- {
		if listen[i] == ':' {
			return listen[i:]
		}
	}
	return ":9470"
}
