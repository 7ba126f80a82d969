package config

import (
	"reflect"
	"strings"
)

// ChangedSections lists, in schema order, the sections that differ between
// two configs: every top-level section by its YAML name ("schedules",
// "mesh", ...), except agent, which is split into its fields
// ("agent.listen", ...) since they apply differently. A section with an
// Enabled field that is false in both does not count. It is derived from
// the schema, so a new section is never forgotten.
func ChangedSections(old, next *Config) []string {
	var out []string
	ov, nv := reflect.ValueOf(old).Elem(), reflect.ValueOf(next).Elem()
	for i := 0; i < ov.NumField(); i++ {
		name := yamlName(ov.Type().Field(i))
		if name == "" {
			continue
		}
		if name == "agent" {
			out = append(out, changedFields("agent", ov.Field(i), nv.Field(i))...)
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) && !bothDisabled(ov.Field(i), nv.Field(i)) {
			out = append(out, name)
		}
	}
	return out
}

// bothDisabled reports whether a and b are sections with an Enabled field
// (mesh, alerting) that is false in both: what else differs is not in use.
func bothDisabled(a, b reflect.Value) bool {
	if a.Kind() != reflect.Struct {
		return false
	}
	ea, eb := a.FieldByName("Enabled"), b.FieldByName("Enabled")
	return ea.IsValid() && ea.Kind() == reflect.Bool && !ea.Bool() && !eb.Bool()
}

// changedFields lists prefix.field for every field of two structs that differs.
func changedFields(prefix string, a, b reflect.Value) []string {
	var out []string
	for i := 0; i < a.NumField(); i++ {
		name := yamlName(a.Type().Field(i))
		if name != "" && !reflect.DeepEqual(a.Field(i).Interface(), b.Field(i).Interface()) {
			out = append(out, prefix+"."+name)
		}
	}
	return out
}

// yamlName is the field's YAML key, "" for a field not in the YAML.
func yamlName(f reflect.StructField) string {
	name := strings.Split(f.Tag.Get("yaml"), ",")[0]
	if name == "-" {
		return ""
	}
	return name
}
