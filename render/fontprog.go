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
// font program of each face for a fixed, generous character set (Latin-1,
// Latin Extended-A and common punctuation) and, in each document whose
// glyphs fall within it, put that object in place of gopdf's own
// FontFile2 object. A document using other characters (Greek, Cyrillic…)
// keeps gopdf's per-document subset for that face: correct, only slower.
//
// Swapping the object needs gopdf's unexported object table (GoPdf.pdfObjs),
// reached with reflect and unsafe. programsUsable checks at start-up that
// the field is there with the expected type; if a gopdf upgrade changes it,
// documents are simply rendered without the swap (TestFastFontPath fails
// to flag it).

// supersetChars are the characters whose glyphs every cached font program
// contains.
var supersetChars = func() string {
	var b []rune
	for r := rune(0x20); r < 0x7f; r++ {
		b = append(b, r)
	}
	for r := rune(0xa0); r < 0x180; r++ {
		b = append(b, r)
	}
	b = append(b, []rune("‐‑‒–—―‘’‚‛“”„‟†‡•…‰′″‹›⁄€™№℠")...)
	return string(b)
}()

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

// pdfObjsOffset is the offset of GoPdf.pdfObjs, or 0 if it is not found.
var pdfObjsOffset = func() uintptr {
	f, ok := reflect.TypeFor[gopdf.GoPdf]().FieldByName("pdfObjs")
	if !ok || f.Type != reflect.TypeFor[[]gopdf.IObj]() {
		return 0
	}
	return f.Offset
}()

// programsUsable reports whether gopdf's object table can be reached.
func programsUsable() bool { return pdfObjsOffset != 0 }

// pdfObjects returns gopdf's object table. Elements may be replaced; the
// slice itself must not be appended to.
func pdfObjects(pdf *gopdf.GoPdf) []gopdf.IObj {
	return *(*[]gopdf.IObj)(unsafe.Add(unsafe.Pointer(pdf), pdfObjsOffset))
}

// useCachedPrograms replaces gopdf's FontFile2 objects by the cached ones
// where they cover the document's glyphs. It is called after all drawing,
// when the glyph sets are final.
func useCachedPrograms(pdf *gopdf.GoPdf, progs *[numStyles]*fontProgram) {
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
		if !ok || progs[st] == nil || !progs[st].covers(d.PtrToSubsetFontObj) {
			continue
		}
		objs[i] = &gopdf.ImportedObj{Data: progs[st].body}
	}
}

func styleOfFamily(family string) (style, bool) {
	for st, f := range fontFamilies {
		if f == family {
			return style(st), true
		}
	}
	return 0, false
}

// buildProgram has gopdf write a one-page PDF that uses every superset
// character in the face and cuts the FontFile2 object out of it.
func buildProgram(container *gopdf.FontContainer, st style) (*fontProgram, error) {
	var pdf gopdf.GoPdf
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	if err := pdf.AddTTFFontFromFontContainer(fontFamilies[st], container); err != nil {
		return nil, err
	}
	if err := pdf.SetFontWithStyle(fontFamilies[st], gopdf.Regular, 10); err != nil {
		return nil, err
	}
	pdf.AddPage()
	if err := pdf.Cell(&gopdf.Rect{W: 100, H: 10}, supersetChars); err != nil {
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
