package render

import (
	"bytes"
	"strings"
	"testing"
)

// TestFastFontPath guards the per-process font program cache (see
// fontprog.go): if a gopdf upgrade hides the object table, rendering stays
// correct but loses most of its speed, and this test says so.
func TestFastFontPath(t *testing.T) {
	if !programsUsable() {
		t.Fatal("gopdf's object table (GoPdf.pdfObjs) was not found: cached font programs are disabled")
	}
	f, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := Render(StandardContract())
	if err != nil {
		t.Fatal(err)
	}
	for st, progs := range f.programs {
		if len(progs) != len(programSets) {
			t.Fatalf("%d cached font programs for %s, want %d", len(progs), fontFamilies[st], len(programSets))
		}
		// The contract is English: the smallest program covers it.
		if !bytes.Contains(pdf, []byte(progs[0].body)) {
			t.Errorf("standard contract does not embed the Latin-1 program of %s", fontFamilies[st])
		}
	}

	// Central European names need the larger program; Greek needs a
	// per-document subset. Both must still render.
	for _, c := range []struct {
		text string
		want int // index of the program expected, -1 for none
	}{{"Łukasz Dvořák", 1}, {"Ωμέγα", -1}} {
		pdf, err := Render(Document{Sections: []Section{{Markdown: c.text}}})
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range f.programs[regular] {
			if got := bytes.Contains(pdf, []byte(p.body)); got != (i == c.want) {
				t.Errorf("%q: program %d embedded = %v", c.text, i, got)
			}
		}
	}
}

// TestWidthsMatchGopdf checks that our width table gives the widths gopdf
// itself measures, so lines we wrap fit when gopdf draws them.
func TestWidthsMatchGopdf(t *testing.T) {
	f, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	for st := range style(numStyles) {
		for _, s := range []string{"Hello, world", "Ωμέγα Ж naïve façade — “quoted” …", "\u0378\U0001F600x"} {
			want := 0
			sub := f.metrics[st].sub
			for _, r := range s {
				if gi, err := sub.CharCodeToGlyphIndex(r); err == nil {
					want += int(sub.GlyphIndexToPdfWidth(gi))
				} else {
					want += f.metrics[st].space // gopdf draws a space instead
				}
			}
			if got := f.metrics[st].textWidth(s); got != want {
				t.Errorf("%s %q: width %d, want %d", fontFamilies[st], s, got, want)
			}
		}
	}
}

// TestFastTextPath guards the content stream writer (see stream.go): it
// must be enabled, and documents drawn with it must be byte for byte the
// documents drawn with gopdf's Cell.
func TestFastTextPath(t *testing.T) {
	f, err := loadFonts()
	if err != nil {
		t.Fatal(err)
	}
	if !f.fastText {
		t.Fatal("the content stream writer disagrees with gopdf's Cell: pages are drawn the slow way")
	}
	docs := []Document{
		StandardContract(),
		{
			Title:  "Ωμέγα Ж Łukasz Dvořák 你好 𝔘𝔫𝔦",
			Header: strings.Repeat("very long header ", 40),
			Footer: "tab\there\x00nul \xff\xfe",
			Sections: []Section{
				{Heading: "Odd", Markdown: "# H1 *i* **b** ***bi***\n\n### H3\n\n- a\n  1. b\n\n---\n\n> q `c` \u00a0\u202e\ufffd"},
				{Markdown: strings.Repeat("Long text that wraps. ", 300), PageBreakBefore: true},
			},
			Signers: []Signer{{Role: "studio_owner", Name: "Zoë", Email: "z@e"}},
		},
		{Sections: []Section{{Markdown: "Only ASCII."}}},
	}
	for i, doc := range docs {
		slow, _, err := render(doc, false)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := Render(doc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(slow, fast) {
			t.Errorf("document %d: content stream writer and Cell give different PDFs", i)
		}
	}
}
