package render_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"trustdocs/render"
)

// pdfTool returns the path of a poppler-utils program. The text checks
// are the only way to see what a reader of the PDF sees, so a missing
// tool fails the test rather than skipping it.
func pdfTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install poppler-utils (e.g. apt-get install poppler-utils) to run the render tests", name)
	}
	return path
}

func writeTemp(t testing.TB, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pdfText extracts the text of pdf with `pdftotext -layout`.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	out, err := exec.Command(pdfTool(t, "pdftotext"), "-layout", writeTemp(t, pdf), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// pageTexts returns the text of each page; pdftotext separates pages with
// a form feed.
func pageTexts(t testing.TB, pdf []byte) []string {
	t.Helper()
	pages := strings.Split(pdfText(t, pdf), "\f")
	if last := len(pages) - 1; strings.TrimSpace(pages[last]) == "" {
		pages = pages[:last]
	}
	return pages
}

// pageCount asks pdfinfo, which also checks that the file parses.
func pageCount(t testing.TB, pdf []byte) int {
	t.Helper()
	out, err := exec.Command(pdfTool(t, "pdfinfo"), writeTemp(t, pdf)).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo printed no page count:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	if objs := bytes.Count(pdf, []byte("/Type /Page\n")); objs != n {
		t.Errorf("pdfinfo says %d pages, the file has %d page objects", n, objs)
	}
	return n
}

func mustRender(t testing.TB, doc render.Document) []byte {
	t.Helper()
	pdf, err := render.Render(doc)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return pdf
}

// squash collapses runs of white space, so that checks do not depend on
// where pdftotext -layout puts line breaks and column gaps.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func assertContains(t *testing.T, text string, wants ...string) {
	t.Helper()
	flat := squash(text)
	for _, w := range wants {
		if !strings.Contains(flat, squash(w)) {
			t.Errorf("PDF text does not contain %q", w)
		}
	}
}

func TestDeterministic(t *testing.T) {
	doc := render.StandardContract()
	want := mustRender(t, doc)
	if again := mustRender(t, doc); !bytes.Equal(want, again) {
		t.Fatal("two renders of the same document differ")
	}

	// Concurrent renders share the parsed fonts and the template cache.
	const workers = 8
	results := make([][]byte, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			d := render.StandardContract() // its own map: iteration order differs
			results[i], errs[i] = render.Render(d)
		})
	}
	wg.Wait()
	for i := range workers {
		if errs[i] != nil {
			t.Fatalf("worker %d: %v", i, errs[i])
		}
		if !bytes.Equal(want, results[i]) {
			t.Fatalf("worker %d produced different bytes", i)
		}
	}
}

func TestNoCreationDate(t *testing.T) {
	pdf := mustRender(t, render.StandardContract())
	if bytes.Contains(pdf, []byte("/CreationDate")) || bytes.Contains(pdf, []byte("/ModDate")) {
		t.Error("PDF carries a date, so renders at different times would differ")
	}
}

func TestStandardContractText(t *testing.T) {
	doc := render.StandardContract()
	pdf := mustRender(t, doc)
	if n := pageCount(t, pdf); n != 3 {
		t.Errorf("standard contract has %d pages, want 3", n)
	}
	text := pdfText(t, pdf)
	assertContains(t, text,
		"Statement of Work — Talent Services for Spring Campaign 2025",
		"1. Parties and Background",
		"7. Usage Rights and Licence",
		"16. General",
		"Overtime", // a ### heading in a section body
		"Time worked beyond ten (10) hours in any Shoot Date",
		"The Buyer shall pay each undisputed invoice in full",
		"• the exclusive use of the shooting stage",
		"– a private dressing room with a mirror", // nested list
		"1. notice given more than fourteen (14) days",
		"Page 1 of 3", "Page 2 of 3", "Page 3 of 3",
		"Confidential. Ref. SOW-2025-0412",
		"Buyer", "Talent", "Studio Owner",
		"Jonathan Reyes", "j.reyes@northwind-media.example",
		"Priya Nair", "priya@harbourlight.example",
		"Signature", "Date",
	)
	for name, v := range doc.Variables {
		if !strings.Contains(squash(text), squash(v)) {
			t.Errorf("value of %s (%q) is not in the PDF text", name, v)
		}
	}
	if strings.Contains(text, "{{") || strings.Contains(text, "**") {
		t.Error("placeholder or Markdown syntax left in the PDF text")
	}
	// Every page carries the header and its own page number.
	for i, p := range pageTexts(t, pdf) {
		assertContains(t, p, "Northwind Media Ltd · Amelia Hart · Harbourlight Studios LLP",
			"Page "+strconv.Itoa(i+1)+" of 3")
	}
}

func TestSignatureBlocksStayTogether(t *testing.T) {
	pages := pageTexts(t, mustRender(t, render.StandardContract()))
	for _, s := range render.StandardContract().Signers {
		for _, p := range pages {
			flat := squash(p)
			if strings.Contains(flat, "Name: "+s.Name) && !strings.Contains(flat, "Email: "+s.Email) {
				t.Errorf("signature block of %s is split across pages", s.Name)
			}
		}
	}
}

func TestVariablesAreLiteralText(t *testing.T) {
	evil := "**x** # Heading\n\n- item _y_ {{other}} <b>z</b> [l](http://e)"
	doc := render.Document{
		Sections: []render.Section{{
			Heading:  "Payment",
			Markdown: "The fee is {{fee}}.\n\nPaid to *{{payee}}* in {{city}}.",
		}},
		Variables: map[string]string{"fee": evil, "payee": "A*B", "city": "Leeds", "other": "NOT EXPANDED"},
	}
	text := pdfText(t, mustRender(t, doc))
	assertContains(t, text,
		"The fee is **x** # Heading - item _y_ {{other}} <b>z</b> [l](http://e).",
		"Paid to A*B in Leeds.",
	)
	if strings.Contains(text, "NOT EXPANDED") {
		t.Error("a placeholder inside a value was expanded")
	}
	// Structure would have split the value into a separate heading line or
	// a bulleted item; it must stay inside its paragraph.
	if strings.Contains(text, "•") {
		t.Error("a value created a list item")
	}
}

func TestPlaceholderSyntax(t *testing.T) {
	doc := render.Document{
		Title:  "Agreement {{ref}}",
		Header: "Header {{ref}}",
		Footer: "Footer {{ref}}",
		Sections: []render.Section{{
			Heading: "Fees for {{talent_name}}",
			// Underscores inside names are literal in CommonMark, but they
			// make goldmark split the text into several nodes; emphasis
			// around a placeholder keeps the value emphasised.
			Markdown: "Fee {{fee_amount}} and {{ fee_amount }} for _{{talent_name}}_ and **{{talent_name}}**.\n\n" +
				"Not placeholders: {{ two words }}, {{}}, {{{ref}}} and { {ref} }.",
		}},
		Variables: map[string]string{"fee_amount": "EUR 500", "talent_name": "Kim Lee", "ref": "R-1"},
	}
	text := pdfText(t, mustRender(t, doc))
	assertContains(t, text,
		"Agreement R-1", "Header R-1", "Footer R-1", "Fees for Kim Lee",
		"Fee EUR 500 and EUR 500 for Kim Lee and Kim Lee.",
		"Not placeholders: {{ two words }}, {{}}, {R-1} and { {ref} }.",
	)
	if strings.Contains(text, "fee_amount") || strings.Contains(text, "amount}}") {
		t.Error("a placeholder with underscores was not substituted")
	}
}

func TestMissingVariable(t *testing.T) {
	doc := render.StandardContract()
	delete(doc.Variables, "total_fee")
	delete(doc.Variables, "city")
	pdf, err := render.Render(doc)
	if err == nil {
		t.Fatal("Render succeeded with missing variables")
	}
	if pdf != nil {
		t.Error("Render returned a PDF along with the error")
	}
	var mv *render.MissingVariableError
	if !errors.As(err, &mv) {
		t.Fatalf("error is %T, want *render.MissingVariableError", err)
	}
	if got := strings.Join(mv.Names, ","); got != "city,total_fee" {
		t.Errorf("missing names = %q, want city,total_fee", got)
	}
	for _, name := range []string{`"city"`, `"total_fee"`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}

	// Also in the title, header and footer.
	_, err = render.Render(render.Document{Title: "T", Footer: "Ref {{ref}}"})
	if err == nil || !strings.Contains(err.Error(), `"ref"`) {
		t.Errorf("missing variable in footer: err = %v", err)
	}
}

func TestPageBreaks(t *testing.T) {
	para := strings.Repeat("This clause is repeated to fill the page with text. ", 40)
	var long render.Document
	for i := range 12 {
		long.Sections = append(long.Sections, render.Section{
			Heading: "Clause " + strconv.Itoa(i+1), Markdown: para + "\n\n" + para,
		})
	}
	pdf := mustRender(t, long)
	n := pageCount(t, pdf)
	if n < 2 {
		t.Fatalf("long document has %d page(s)", n)
	}
	pages := pageTexts(t, pdf)
	if len(pages) != n {
		t.Fatalf("pdftotext found %d pages, pdfinfo %d", len(pages), n)
	}
	assertContains(t, pages[n-1], "Clause 12", "Page "+strconv.Itoa(n)+" of "+strconv.Itoa(n))

	short := render.Document{Sections: []render.Section{
		{Heading: "First", Markdown: "Short."},
		{Heading: "Second", Markdown: "Also short.", PageBreakBefore: true},
		{Heading: "Third", Markdown: "Same page as the second."},
	}}
	pdf = mustRender(t, short)
	if n := pageCount(t, pdf); n != 2 {
		t.Fatalf("PageBreakBefore: %d pages, want 2", n)
	}
	pages = pageTexts(t, pdf)
	assertContains(t, pages[0], "First", "Short.", "Page 1 of 2")
	assertContains(t, pages[1], "Second", "Third", "Page 2 of 2")
	if strings.Contains(pages[0], "Second") {
		t.Error("section with PageBreakBefore printed on the first page")
	}

	// A break requested by the first section does not leave a blank page.
	short.Sections[0].PageBreakBefore = true
	if n := pageCount(t, mustRender(t, short)); n != 2 {
		t.Errorf("PageBreakBefore on the first section: %d pages, want 2", n)
	}
}

func TestMarkdownFeatures(t *testing.T) {
	doc := render.Document{Sections: []render.Section{{Heading: "Features", Markdown: `# Level one
## Level two
### Level three

Plain *italic* **bold** ***both*** text, with a line  
hard break and a soft
break.

1. first
2. second
   - nested one
   - nested two
3. third

- bullet

> quoted text

` + "```\ncode line one\ncode line two\n```" + `

An escaped \*star\* and an entity &amp; and ` + "`code`" + `.`}}}
	pages := pageTexts(t, mustRender(t, doc))
	if len(pages) != 1 {
		t.Fatalf("%d pages", len(pages))
	}
	text := pages[0]
	assertContains(t, text, "Level one", "Level two", "Level three",
		"Plain italic bold both text, with a line",
		"hard break and a soft break.",
		"1. first", "2. second", "– nested one", "– nested two", "3. third", "• bullet",
		"quoted text", "code line one", "code line two",
		"An escaped *star* and an entity & and code.")
	// The hard break ends a line; the soft break does not.
	if !regexp.MustCompile(`with a line\s*\n\s*hard break`).MatchString(text) {
		t.Error("hard line break not rendered as a new line")
	}
	if !strings.Contains(squash(text), "a soft break.") {
		t.Error("soft line break not rendered as a space")
	}
}

func TestLongWordsAndOddInput(t *testing.T) {
	doc := render.Document{
		Header: strings.Repeat("very long header ", 40),
		Footer: "tab\there\x00nul",
		Sections: []render.Section{{
			Heading:  "Odd",
			Markdown: "https://example.com/" + strings.Repeat("a", 400) + " Ωμέγα Ж Łukasz Dvořák 你好 \u00a0 {{v}}",
		}},
		Signers:   []render.Signer{{Role: "", Name: strings.Repeat("Name ", 100), Email: "x@y"}},
		Variables: map[string]string{"v": "\xff\xfe invalid utf-8"},
	}
	pdf := mustRender(t, doc)
	// Greek and Cyrillic fall outside the cached font programs, Chinese
	// outside the Go fonts (drawn as spaces, as gopdf does).
	assertContains(t, pdfText(t, pdf), "https://example.com/aaaa", "Ωμέγα Ж Łukasz Dvořák",
		"invalid utf-8", "Signatory", "Page 1 of")
}

func TestEmptyDocument(t *testing.T) {
	if _, err := render.Render(render.Document{}); !errors.Is(err, render.ErrNoContent) {
		t.Errorf("err = %v, want ErrNoContent", err)
	}
}

// The signature fields RenderWithFields reports are where the blocks are drawn: on the
// page whose text holds the signer's name, one per signer, in order, and the bytes are
// Render's.
func TestSignatureFieldsAreWhereTheBlocksAre(t *testing.T) {
	t.Parallel()
	doc := render.Document{Title: "Model release", Sections: []render.Section{{Markdown: strings.Repeat("A clause that fills the page. ", 380)}},
		Signers: []render.Signer{{Role: "buyer", Name: "Bea Buyer", Email: "b@example.com"}, {Role: "talent", Name: "Tal Ent", Email: "t@example.com"}}}
	pdf, fields, err := render.RenderWithFields(doc)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := render.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, pdf) {
		t.Fatal("RenderWithFields and Render give different bytes")
	}
	if len(fields) != 2 {
		t.Fatalf("%d fields for 2 signers", len(fields))
	}
	pages := pageTexts(t, pdf)
	for i, f := range fields {
		if f.Role != doc.Signers[i].Role || f.W <= 0 || f.H <= 0 || f.Y <= 0 || f.Y+f.H >= 842 {
			t.Errorf("field %d: %+v", i, f)
		}
		if f.Page < 1 || f.Page > len(pages) || !strings.Contains(pages[f.Page-1], doc.Signers[i].Name) {
			t.Errorf("field %d on page %d, which does not show %s", i, f.Page, doc.Signers[i].Name)
		}
	}
	if fields[0].Page < 2 {
		t.Errorf("the long clause should have pushed the signatures past the first page: page %d", fields[0].Page)
	}
}
