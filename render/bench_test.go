package render_test

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"

	"trustdocs/render"
)

// The benchmarks compare Render with the obvious way of producing the
// same document with gopdf, so that one run of
//
//	go test -run '^$' -bench . -benchmem ./render/
//
// gives both numbers on the same machine under the same load.

// renderOurs renders the standard contract and hashes it, which is what a
// caller storing the signed-off PDF does with it.
func renderOurs(b *testing.B, doc render.Document) {
	pdf, err := render.Render(doc)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	sink = sum[0]
}

var sink byte

func BenchmarkRenderStandardContract(b *testing.B) {
	doc := render.StandardContract()
	renderOurs(b, doc) // load the fonts before b.Loop starts the timer
	b.ReportAllocs()
	for b.Loop() {
		renderOurs(b, doc)
	}
}

func BenchmarkNaiveGopdf(b *testing.B) {
	doc := render.StandardContract()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := naiveRender(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderVsNaive alternates the two renderers in rounds — one
// naive document, then oursPerRound documents with Render — and reports
// speedup (median naive time per document / median Render time per
// document), both times, and the memory Render allocates per document.
// The heap is collected between the two halves of a round so that neither
// side pays for the other's garbage (the baseline leaves ~13 MB behind).
func BenchmarkRenderVsNaive(b *testing.B) {
	const oursPerRound = 10
	doc := render.StandardContract()
	renderOurs(b, doc)
	var ours, naive []time.Duration
	var oursBytes uint64
	var ms runtime.MemStats
	for b.Loop() {
		runtime.GC()
		t0 := time.Now()
		if _, err := naiveRender(doc); err != nil {
			b.Fatal(err)
		}
		naive = append(naive, time.Since(t0))

		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		t1 := time.Now()
		for range oursPerRound {
			renderOurs(b, doc)
		}
		ours = append(ours, time.Since(t1)/oursPerRound)
		runtime.ReadMemStats(&ms)
		oursBytes += ms.TotalAlloc - before
	}
	docs := float64(len(ours) * oursPerRound)
	b.ReportMetric(float64(median(naive))/float64(median(ours)), "speedup")
	b.ReportMetric(float64(median(ours).Nanoseconds()), "ours_ns/doc")
	b.ReportMetric(float64(median(naive).Nanoseconds()), "naive_ns/doc")
	b.ReportMetric(float64(oursBytes)/docs/(1<<20), "ours_MB/doc")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// naiveRender is the baseline: a fresh gopdf document with the four TTF
// fonts parsed from their bytes, every paragraph wrapped by gopdf's own
// SplitText and drawn with one Cell per returned line. Markdown is not
// parsed (placeholders are replaced in the raw text and emphasis markers
// are left in), which only makes the baseline cheaper.
func naiveRender(doc render.Document) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	for _, f := range []struct {
		name string
		ttf  []byte
	}{{"regular", goregular.TTF}, {"bold", gobold.TTF}, {"italic", goitalic.TTF}, {"bolditalic", gobolditalic.TTF}} {
		if err := pdf.AddTTFFontData(f.name, f.ttf); err != nil {
			return nil, err
		}
	}
	const left, width, top, bottom, leading = 50.0, 495.0, 62.0, 785.0, 10.2
	subst := func(s string) string {
		for k, v := range doc.Variables {
			s = strings.ReplaceAll(s, "{{"+k+"}}", v)
		}
		return s
	}
	page, y := 0, 0.0
	newPage := func() {
		pdf.AddPage()
		page++
		_ = pdf.SetFont("regular", "", 7.5)
		pdf.SetXY(left, 30)
		_ = pdf.Cell(nil, subst(doc.Header))
		pdf.SetXY(left, 800)
		_ = pdf.Cell(nil, fmt.Sprintf("%s    Page %d", subst(doc.Footer), page))
		y = top
	}
	write := func(font string, size float64, text string) error {
		if err := pdf.SetFont(font, "", size); err != nil {
			return err
		}
		lines, err := pdf.SplitText(text, width)
		if err != nil {
			return err
		}
		for _, line := range lines {
			if y+leading > bottom {
				newPage()
				if err := pdf.SetFont(font, "", size); err != nil {
					return err
				}
			}
			pdf.SetXY(left, y)
			if err := pdf.Cell(nil, line); err != nil {
				return err
			}
			y += leading
		}
		y += 4
		return nil
	}
	newPage()
	if err := write("bold", 15, subst(doc.Title)); err != nil {
		return nil, err
	}
	for _, s := range doc.Sections {
		if err := write("bold", 11, s.Heading); err != nil {
			return nil, err
		}
		for _, para := range strings.Split(subst(s.Markdown), "\n\n") {
			if err := write("regular", 8, strings.ReplaceAll(para, "\n", " ")); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range doc.Signers {
		for _, line := range []string{s.Role, s.Name, s.Email, "Signature ____________    Date ________"} {
			if err := write("regular", 8, line); err != nil {
				return nil, err
			}
		}
	}
	return pdf.GetBytesPdfReturnErr()
}
