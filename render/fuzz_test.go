package render_test

import (
	"errors"
	"testing"

	"trustdocs/render"
)

// FuzzRender feeds arbitrary Markdown and variable values to Render. It
// must never panic; returning an error (a missing variable) is fine.
//
//	go test -run '^$' -fuzz FuzzRender -fuzztime 60s ./render/
func FuzzRender(f *testing.F) {
	for _, s := range render.StandardContract().Sections[:4] {
		f.Add(s.Markdown, "Amelia Hart")
	}
	f.Add("Fee: {{v}}", "**x** # Heading\n\n- item")
	f.Add("{{v}}{{v}}{{missing}}", "{{v}}")
	f.Add("- a\n  - b\n    - c\n      1. d", "\x00\x01\x7f\xff")
	f.Add("# {{v}}\n\n> > > deep\n\n```\n{{v}}\n```", "\u202e\u00a0\ufffd")
	f.Add("*a **b *c* d** e*  \nf\\\ng&#0;h&nbsp;", "")
	f.Add("<div>\n{{v}}\n</div>\n\n[x]({{v}}) ![y](z) <http://q>", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 "+string(make([]byte, 300)))
	f.Fuzz(func(t *testing.T, body, value string) {
		doc := render.Document{
			Title:    "Fuzz {{v}}",
			Header:   value,
			Footer:   "{{v}}",
			Sections: []render.Section{{Heading: value, Markdown: body}, {Markdown: body, PageBreakBefore: true}},
			Signers:  []render.Signer{{Role: value, Name: value, Email: value}},
			Variables: map[string]string{
				"v": value,
			},
		}
		pdf, err := render.Render(doc)
		var mv *render.MissingVariableError
		switch {
		case err == nil && len(pdf) == 0:
			t.Fatal("no error and no PDF")
		case err != nil && !errors.As(err, &mv):
			t.Fatalf("unexpected error: %v", err)
		}
	})
}
