// Package render turns a contract (sections of Markdown, variables and
// signers) into A4 PDF bytes with github.com/signintech/gopdf and the Go
// fonts, which are compiled into the binary: no system fonts are read.
//
//	pdf, err := render.Render(render.StandardContract())
//
// # Pipeline
//
// Render works in three steps, each in its own file:
//
//  1. markdown.go parses every section body with goldmark (CommonMark)
//     into blocks of styled text runs; vars.go then fills in the
//     {{placeholders}}.
//  2. layout.go and signature.go wrap the runs into lines and the lines
//     into pages, entirely before anything is drawn, so the total page
//     count is known for the "Page N of M" footers.
//  3. draw.go replays the laid-out lines, one text cell per line (or per
//     change of font within a line), never using gopdf's SplitText. The
//     page content streams are written by stream.go; gopdf writes the
//     rest of the PDF (see "Write the text ourselves" below).
//
// # Variables are data
//
// Placeholders are substituted after the Markdown has been parsed, inside
// the text runs, so a value is always printed literally: a party called
// "**ACME** # Ltd" cannot make text bold, start a heading or open a list.
// Adjacent text nodes of the same style are joined before substitution,
// because goldmark splits text at characters that might have been
// emphasis markers, such as the underscore in {{fee_amount}}. A placeholder
// without a value fails the whole render with a *MissingVariableError
// naming it; a contract with a blank where the fee should be is worse than
// none. Parsing before substituting also makes a parsed template body
// reusable for every document made from it (cache.go).
//
// # Parse fonts once
//
// Parsing a TrueType font is the largest fixed cost of a gopdf document.
// The four faces are parsed once per process (fonts.go) into a
// gopdf.FontContainer, from which every document takes a copy that shares
// the parsed, read-only tables. Word widths come from a per-face table of
// glyph advance widths built at the same time, in gopdf's own integer
// units, so lines measured here are exactly as wide when gopdf draws them
// and gopdf is never asked to measure text. The table is the per-font
// width cache: a map from word to width was measured and not kept, as
// summing table entries for the ~2,100 words of the standard contract
// takes 7 µs and looking the same words up in a pre-filled map 24 µs.
//
// The next largest cost is embedding the font subsets: gopdf deflates each
// face's subset per document, and compress/flate allocates about 0.8 MB
// per compressor whatever the input. fontprog.go builds and compresses
// each face's font program once per process for a fixed superset of
// characters (Latin-1, Latin Extended-A, common punctuation) and swaps it
// into each document whose glyphs it covers. That swap reaches into gopdf's
// unexported object table; see fontprog.go for why it is safe and how it
// degrades. Page content streams are stored without compression for the
// same reason (one compressor per page would cost 0.8 MB each): a 3-page
// contract is about 200 KB instead of about 70 KB.
//
// # Write the text ourselves
//
// Once fonts and font programs were cached, gopdf's Cell was about 80% of
// a document: per glyph it does several map lookups and an
// fmt.Fprintf("%04X") of the glyph id, and it measures every cell again.
// stream.go writes the page content streams itself, with the same
// operators gopdf writes for a cell, line or colour and glyph ids from a
// per-face table built at start-up. It feeds the runes drawn in each face
// to gopdf's SubsetFontObj.AddChars, in the order Cell would have, so
// gopdf embeds the same glyphs and writes the same widths and ToUnicode
// maps (which text extraction needs), and then swaps its streams into
// gopdf's object table in place of gopdf's content objects. The PDF is
// byte for byte the one drawing with Cell gives; this took the standard
// contract from about 2.4 ms to about 1.2 ms. Whether that still holds is
// checked once per process by drawing a probe document both ways; if the
// bytes differ (say, after a gopdf upgrade changed its operators),
// documents are drawn with Cell, and TestFastTextPath fails.
//
// Together with fontprog.go this is where the package relies on gopdf
// internals: the unexported object table GoPdf.pdfObjs (reached with
// reflect and unsafe, checked at start-up) and gopdf's exact output for
// text cells. Both degrade to gopdf's own, slower path, never to a wrong
// PDF.
//
// # Determinism
//
// The same Document always gives the same bytes, in any process: no
// creation date or random ID is written, variables are only looked up
// (never iterated), missing-variable errors list names in sorted order,
// fonts are embedded in a fixed order, and the cached font programs are
// built from a fixed character set. Render is safe for concurrent use:
// shared state is either immutable after start-up (fonts, font programs)
// or guarded (the template cache).
package render
