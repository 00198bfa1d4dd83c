package render

import (
	"os"
	"testing"
)

func TestScratch(t *testing.T) {
	b, err := Render(StandardContract())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/std.pdf", b, 0o644)
	t.Logf("size %d", len(b))
}

func BenchmarkPhaseParse(b *testing.B) {
	doc := StandardContract()
	for b.Loop() {
		p := &parser{vars: doc.Variables}
		for _, s := range doc.Sections {
			p.parseMarkdown(s.Markdown)
		}
	}
}

func BenchmarkPhaseLayout(b *testing.B) {
	doc := StandardContract()
	f, _ := loadFonts()
	p := &parser{vars: doc.Variables}
	var secs []parsedSection
	for _, s := range doc.Sections {
		first := len(p.blocks)
		p.parseMarkdown(s.Markdown)
		secs = append(secs, parsedSection{heading: s.Heading, blocks: p.blocks[first:]})
	}
	for b.Loop() {
		l := newLayout(f)
		l.title(doc.Title)
		for _, s := range secs {
			l.section(s)
		}
		l.signatures(doc.Signers)
	}
}

func BenchmarkPhaseDraw(b *testing.B) {
	doc := StandardContract()
	f, _ := loadFonts()
	p := &parser{vars: doc.Variables}
	var secs []parsedSection
	for _, s := range doc.Sections {
		first := len(p.blocks)
		p.parseMarkdown(s.Markdown)
		secs = append(secs, parsedSection{heading: s.Heading, blocks: p.blocks[first:]})
	}
	l := newLayout(f)
	l.title(doc.Title)
	for _, s := range secs {
		l.section(s)
	}
	l.signatures(doc.Signers)
	b.Logf("ops %d", len(l.ops))
	for b.Loop() {
		draw(f, l, "t", "h", "f")
	}
}
