package render

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"unsafe"

	"github.com/signintech/gopdf"
)

// Embedded font programs, compressed once per process.
//
// For every face a document uses, gopdf writes a subset of the TrueType
// font (only the glyphs used) and deflates it while writing the PDF. That
// step alone allocates about 0.8 MB per face — compress/flate's compressor
// is that large whatever the input — and it is most of the cost of a
// document once the fonts are no longer re-parsed.
//
// gopdf's subsets keep the original glyph ids (unused glyphs are left
// empty), so a subset made for a larger set of characters serves every
// document whose glyphs it contains: the PDF's CIDFont widths and ToUnicode
// map, which gopdf still writes per document, only mention the glyphs the
// document uses. So once per process we let gopdf build and compress the
// font program of each face for a few fixed character sets (programSets)
// and, in each document, put the smallest one holding all of the face's
// glyphs in place of gopdf's own FontFile2 object. A face using other
// characters (Greek, Cyrillic…) keeps gopdf's per-document subset: correct,
// only slower. Either way the choice depends on the document alone, so the
// output stays deterministic.
//
// Swapping the object needs gopdf's unexported object table (GoPdf.pdfObjs),
// reached with reflect and unsafe (tested against v0.33.0); stream.go uses
// the same table to install its page content streams. pdfObjsFound checks
// at start-up that the field exists with the expected type. If a gopdf
// upgrade changes it, documents are rendered without the swap — correct
// but slower — and TestFastFontPath fails to say so. The cached object is
// cut out of a PDF gopdf itself wrote, so its bytes are gopdf's.

// programSets are the character sets of the cached font programs of each
// face, smallest first; a document's face uses the first that has all its
// glyphs. Latin-1 covers English and Western European text (about 23 KB a
// face); the second set adds Latin Extended-A for Central European names
// (about 33 KB a face). For comparison, a per-document subset of the
// standard contract is about 8 KB a face — the price of not compressing
// it per document.
var programSets = [...]string{
	charRange(0x20, 0x7f) + charRange(0xa0, 0x100) + punctuation,
	charRange(0x20, 0x7f) + charRange(0xa0, 0x180) + punctuation,
}

const punctuation = "‐‑‒–—―‘’‚‛“”„‟†‡•…‰′″‹›⁄€™№℠"

func charRange(from, to rune) string {
	var b []rune
	for r := from; r < to; r++ {
		b = append(b, r)
	}
	return string(b)
}

// fontProgram is one face's cached FontFile2 object.
type fontProgram struct {
	body   string // the object between "N 0 obj\n" and "endobj", as gopdf writes it
	glyphs []bool // glyph ids present in the program
}

// covers reports whether the program has every glyph the document's copy
// of the face has used.
func (p *fontProgram) covers(sub *gopdf.SubsetFontObj) bool {
	for _, g := range sub.CharacterToGlyphIndex.AllVals() {
		if g >= uint(len(p.glyphs)) || !p.glyphs[g] {
			return false
		}
	}
	return true
}

// pdfObjsOffset is the offset of GoPdf.pdfObjs in the struct; pdfObjsFound
// says whether the field exists with the expected type.
var pdfObjsOffset, pdfObjsFound = func() (uintptr, bool) {
	f, ok := reflect.TypeFor[gopdf.GoPdf]().FieldByName("pdfObjs")
	if !ok || f.Type != reflect.TypeFor[[]gopdf.IObj]() {
		return 0, false
	}
	return f.Offset, true
}()

// programsUsable reports whether gopdf's object table can be reached.
func programsUsable() bool { return pdfObjsFound }

// pdfObjects returns gopdf's object table. Elements may be replaced; the
// slice itself must not be appended to.
func pdfObjects(pdf *gopdf.GoPdf) []gopdf.IObj {
	return *(*[]gopdf.IObj)(unsafe.Add(unsafe.Pointer(pdf), pdfObjsOffset))
}

// useCachedPrograms replaces gopdf's FontFile2 objects by cached ones
// where one covers the document's glyphs. It is called after all drawing,
// when the glyph sets are final.
func useCachedPrograms(pdf *gopdf.GoPdf, progs *[numStyles][]*fontProgram) {
	if !programsUsable() {
		return
	}
	objs := pdfObjects(pdf)
	for i, o := range objs {
		d, ok := o.(*gopdf.PdfDictionaryObj)
		if !ok || d.PtrToSubsetFontObj == nil {
			continue
		}
		st, ok := styleOfFamily(d.PtrToSubsetFontObj.GetFamily())
		if !ok {
			continue
		}
		if p := coveringProgram(progs[st], d.PtrToSubsetFontObj); p != nil {
			objs[i] = &gopdf.ImportedObj{Data: p.body}
		}
	}
}

// coveringProgram returns the smallest program with every glyph sub uses.
func coveringProgram(progs []*fontProgram, sub *gopdf.SubsetFontObj) *fontProgram {
	for _, p := range progs {
		if p.covers(sub) {
			return p
		}
	}
	return nil
}

func styleOfFamily(family string) (style, bool) {
	for st, f := range fontFamilies {
		if f == family {
			return style(st), true
		}
	}
	return 0, false
}

// buildPrograms builds the cached programs of one face, one per entry of
// programSets. On failure it returns none, and the face is embedded the
// ordinary way.
func buildPrograms(container *gopdf.FontContainer, st style) []*fontProgram {
	if !programsUsable() {
		return nil
	}
	var progs []*fontProgram
	for _, chars := range programSets {
		p, err := buildProgram(container, st, chars)
		if err != nil {
			return nil
		}
		progs = append(progs, p)
	}
	return progs
}

// buildProgram has gopdf write a one-page PDF that uses every character of
// chars in the face and cuts the FontFile2 object out of it.
func buildProgram(container *gopdf.FontContainer, st style, chars string) (*fontProgram, error) {
	var pdf gopdf.GoPdf
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	if err := pdf.AddTTFFontFromFontContainer(fontFamilies[st], container); err != nil {
		return nil, err
	}
	if err := pdf.SetFontWithStyle(fontFamilies[st], gopdf.Regular, 10); err != nil {
		return nil, err
	}
	pdf.AddPage()
	if err := pdf.Cell(&gopdf.Rect{W: 100, H: 10}, chars); err != nil {
		return nil, err
	}
	objs := pdfObjects(&pdf)
	idx := -1
	var prog fontProgram
	for i, o := range objs {
		if d, ok := o.(*gopdf.PdfDictionaryObj); ok {
			idx = i
			for _, g := range d.PtrToSubsetFontObj.CharacterToGlyphIndex.AllVals() {
				for uint(len(prog.glyphs)) <= g {
					prog.glyphs = append(prog.glyphs, false)
				}
				prog.glyphs[g] = true
			}
		}
	}
	if idx < 0 {
		return nil, errors.New("no font program object")
	}
	out, err := pdf.GetBytesPdfReturnErr()
	if err != nil {
		return nil, err
	}
	body, err := objectBody(out, idx+1)
	if err != nil {
		return nil, err
	}
	prog.body = body
	return &prog, nil
}

// objectBody returns what gopdf wrote between "id 0 obj\n" and "endobj\n"
// for object id, using the PDF's cross-reference table to find it.
func objectBody(pdf []byte, id int) (string, error) {
	bad := errors.New("unexpected PDF layout")
	sx := bytes.LastIndex(pdf, []byte("startxref\n"))
	if sx < 0 {
		return "", bad
	}
	end := bytes.IndexByte(pdf[sx+10:], '\n')
	if end < 0 {
		return "", bad
	}
	xref, err := strconv.Atoi(string(pdf[sx+10 : sx+10+end]))
	if err != nil || xref <= 0 || xref >= len(pdf) {
		return "", bad
	}
	// "xref\n0 N\n" then 20-byte entries; entry 0 is the free list head.
	rest := pdf[xref:]
	hdr := bytes.IndexByte(rest[5:], '\n')
	if !bytes.HasPrefix(rest, []byte("xref\n")) || hdr < 0 {
		return "", bad
	}
	entries := rest[5+hdr+1:]
	offset := func(n int) (int, error) {
		if (n+1)*20 > len(entries) {
			return 0, bad
		}
		return strconv.Atoi(string(entries[n*20 : n*20+10]))
	}
	start, err := offset(id)
	if err != nil {
		return "", err
	}
	stop := xref
	if next, err := offset(id + 1); err == nil && next > start && entries[(id+1)*20+17] == 'n' {
		stop = next
	}
	obj := pdf[start:stop]
	head := []byte(strconv.Itoa(id) + " 0 obj\n")
	tail := []byte("endobj\n\n")
	if !bytes.HasPrefix(obj, head) || !bytes.HasSuffix(obj, tail) {
		return "", bad
	}
	return string(obj[len(head) : len(obj)-len(tail)]), nil
}
