package report

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"
)

// WriteJSON writes r as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing report json: %w", err)
	}
	return nil
}

// WriteMarkdown writes r as a Markdown document: summary, diff, and a table
// of every check.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s\n", r.Title(), r.Summary())
	if d := r.Diagnosis; d != nil {
		fmt.Fprintf(&b, "\n## Diagnosis: %s (asked %s)\n\n", d.Verdict, d.Self)
		for _, f := range d.Findings {
			fmt.Fprintf(&b, "- **%s** %s (`%s`, cause %s)\n", f.Severity, f.Summary, f.Kind, f.Cause)
			for _, n := range slices.Sorted(maps.Keys(f.Hosts)) {
				fmt.Fprintf(&b, "\n  Host %s:\n\n  ```\n  %s\n  ```\n", n, strings.ReplaceAll(f.Hosts[n].String(), "\n", "\n  "))
			}
		}
		if len(d.Findings) == 0 {
			b.WriteString("No finding: every link is healthy.\n")
		}
	}
	r.markdownKeys(&b, "New failures", r.Diff.NewFailures)
	r.markdownKeys(&b, "Fixed", r.Diff.Fixed)
	r.markdownKeys(&b, "Still broken", r.Diff.StillBroken)
	b.WriteString("\n## Checks\n\n| Result | Check | Source | Destination | Path | Kind | Cause | Time | Message |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, it := range r.Items {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %.3fs | %s |\n", verdict(it.Passed), cell(it.Name),
			cell(it.Source), cell(it.Destination), cell(it.Path), cell(it.Kind), cell(it.Cause),
			it.DurationSeconds, cell(it.Message))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing report markdown: %w", err)
	}
	return nil
}

func (r Report) markdownKeys(b *strings.Builder, heading string, keys []string) {
	if len(keys) == 0 {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n", heading)
	for _, k := range keys {
		it, _ := r.Item(k)
		fmt.Fprintf(b, "- `%s` %s -> %s (%s): %s\n", strings.ReplaceAll(k, "`", "'"), cell(it.Source),
			cell(it.Destination), cell(it.Path), cell(causeText(it)))
	}
}

func causeText(it Item) string {
	if it.Message == "" {
		return it.Cause
	}
	return it.Cause + ": " + it.Message
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if s == "" {
		return "-"
	}
	return s
}

func verdict(passed bool) string {
	if passed {
		return "PASS"
	}
	return "FAIL"
}

// WriteHTML writes r as one self-contained HTML page: inline CSS, no
// scripts, no external assets; every value is escaped by html/template. The
// agent serves it under a CSP that allows exactly this style block
// (StyleHash), and no other inline style or script.
func (r Report) WriteHTML(w io.Writer) error {
	if err := pageTemplate.Execute(w, r); err != nil {
		return fmt.Errorf("writing report html: %w", err)
	}
	return nil
}

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"verdict": verdict, "cause": causeText, "list": func(v ...any) []any { return v },
	"item": func(r Report, key string) Item { it, _ := r.Item(key); return it },
}).Parse(pageHTML))

// pageCSS is the report page's only style block.
const pageCSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
.summary { font-size: 1.05em; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr.fail td.result { background: #fbe3e3; color: #8a1111; font-weight: bold; }
tr.pass td.result { background: #e6f4e6; color: #1d5e1d; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.95em; }
`

// StyleHash is the CSP source ('sha256-...') of the report page's style
// block, for a Content-Security-Policy without 'unsafe-inline'.
var StyleHash = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>` + pageCSS + `</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="summary">{{.Summary}}</p>
{{- with .Diagnosis}}
<h2>Diagnosis: {{.Verdict}} (asked {{.Self}})</h2>
<ul>
{{- range .Findings}}
<li><b>{{.Severity}}</b> {{.Summary}} <code>{{.Kind}}</code>, cause {{.Cause}}{{if .Advice}}<br><small>advice: {{.Advice}}</small>{{end}}
{{- range $node, $h := .Hosts}}<details><summary>host {{$node}}</summary><pre>{{$h.String}}</pre></details>{{end}}</li>
{{- else}}
<li>No finding: every link is healthy.</li>
{{- end}}
</ul>
{{- end}}
{{- $r := .}}
{{- template "keys" (list "New failures" .Diff.NewFailures $r)}}
{{- template "keys" (list "Fixed" .Diff.Fixed $r)}}
{{- template "keys" (list "Still broken" .Diff.StillBroken $r)}}
<h2>Checks</h2>
<table>
<thead><tr><th>Result</th><th>Check</th><th>Source</th><th>Destination</th><th>Path</th><th>Kind</th><th>Cause</th><th>Time</th><th>Message</th></tr></thead>
<tbody>
{{- range .Items}}
<tr class="{{if .Passed}}pass{{else}}fail{{end}}"><td class="result">{{verdict .Passed}}</td><td>{{.Name}}</td><td>{{.Source}}</td><td>{{.Destination}}</td><td>{{.Path}}</td><td>{{.Kind}}</td><td>{{.Cause}}</td><td class="num">{{printf "%.3f" .DurationSeconds}}s</td><td>{{.Message}}</td></tr>
{{- end}}
</tbody>
</table>
</body>
</html>
{{define "keys"}}{{$title := index . 0}}{{$keys := index . 1}}{{$r := index . 2}}{{if $keys}}
<h2>{{$title}}</h2>
<ul>
{{- range $keys}}{{$it := item $r .}}
<li><code>{{.}}</code> {{$it.Source}} &rarr; {{$it.Destination}} ({{$it.Path}}): {{cause $it}}</li>
{{- end}}
</ul>
{{- end}}{{end}}`
