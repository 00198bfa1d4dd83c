package render

import (
	"bytes"
	"strconv"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// md is plain CommonMark (no extensions). goldmark's parser keeps no state
// between Parse calls, so one instance serves concurrent renders.
var md = goldmark.New()

type blockKind uint8

const (
	blockParagraph blockKind = iota
	blockHeading             // a Markdown heading inside a section body
	blockListItem            // first paragraph of a list item: gets the marker
	blockRule                // thematic break
)

// run is a stretch of inline text in one style. brk marks a hard line
// break after the text.
type run struct {
	text string
	st   style
	brk  bool
}

// block is one laid-out unit of a section body: a paragraph, a heading or
// the text of a list item.
type block struct {
	kind   blockKind
	level  int     // heading level (1..6)
	indent float64 // left indent of the text, in points
	marker string  // list marker drawn left of the text ("•", "1.")
	runs   []run
	tight  bool // inside a tight list: less space after
	vars   bool // some run contains "{{": substitution may change it
}

// parser turns a Markdown body into blocks. Placeholders are left in the
// text; they are substituted afterwards, per document (see vars.go).
type parser struct {
	src     []byte
	blocks  []block
	runs    []run  // runs of the container being collected
	scratch []byte // text of the run being collected
	curSt   style
	vars    bool // a run of the current block contains "{{"
}

// parseMarkdown returns the blocks of one section body.
func parseMarkdown(body string) []block {
	p := parser{src: []byte(body)}
	doc := md.Parser().Parse(text.NewReader(p.src))
	p.walkBlocks(doc, 0, false)
	return p.blocks
}

// listIndent is how far each list level indents its text.
const listIndent = 15.0

// walkBlocks converts the block children of n. indent is the left indent
// of the enclosing list level.
func (p *parser) walkBlocks(n ast.Node, indent float64, tight bool) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Heading:
			p.addInline(c, block{kind: blockHeading, level: c.Level, indent: indent})
		case *ast.Paragraph, *ast.TextBlock:
			p.addInline(c, block{kind: blockParagraph, indent: indent, tight: tight})
		case *ast.List:
			p.walkList(c, indent)
		case *ast.Blockquote:
			p.walkBlocks(c, indent+listIndent, tight)
		case *ast.ThematicBreak:
			p.blocks = append(p.blocks, block{kind: blockRule, indent: indent})
		case *ast.CodeBlock, *ast.FencedCodeBlock, *ast.HTMLBlock:
			// Rendered as literal lines, one hard break per source line.
			p.addLines(c, indent, tight)
		default:
			// Unknown containers (link reference definitions, extensions):
			// keep whatever text they carry.
			p.walkBlocks(c, indent, tight)
		}
	}
}

// walkList gives the first text block of every item its marker; further
// blocks of the item and nested lists are indented under the text.
func (p *parser) walkList(l *ast.List, indent float64) {
	listStart := len(p.blocks)
	defer func() {
		// A full paragraph gap after the list, whether or not it is tight.
		if len(p.blocks) > listStart {
			p.blocks[len(p.blocks)-1].tight = false
		}
	}()
	num := l.Start
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "•"
		if indent > 0 {
			marker = "–"
		}
		if l.IsOrdered() {
			marker = strconv.Itoa(num) + string(l.Marker)
			num++
		}
		first := len(p.blocks)
		p.walkBlocks(item, indent+listIndent, l.IsTight)
		if first < len(p.blocks) && p.blocks[first].kind == blockParagraph {
			p.blocks[first].kind = blockListItem
			p.blocks[first].marker = marker
		} else {
			// Empty item, or one starting with a nested block: the marker
			// stands on its own line.
			p.blocks = append(p.blocks[:first], append([]block{{
				kind: blockListItem, indent: indent + listIndent, marker: marker, tight: l.IsTight,
			}}, p.blocks[first:]...)...)
		}
	}
}

// addInline collects the inline text of n into one block.
func (p *parser) addInline(n ast.Node, b block) {
	p.runs, p.curSt, p.vars = nil, regular, false
	p.walkInline(n, regular)
	p.flush(false)
	b.runs, b.vars = p.runs, p.vars
	p.runs = nil
	p.blocks = append(p.blocks, b)
}

// addLines renders a code or HTML block as literal text lines.
func (p *parser) addLines(n ast.Node, indent float64, tight bool) {
	p.runs, p.curSt, p.vars = nil, regular, false
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		line := bytes.TrimRight(seg.Value(p.src), "\r\n")
		p.scratch = append(p.scratch, line...)
		p.flush(i < lines.Len()-1)
	}
	p.flush(false)
	b := block{kind: blockParagraph, indent: indent, tight: tight, runs: p.runs, vars: p.vars}
	p.runs = nil
	p.blocks = append(p.blocks, b)
}

// walkInline appends the text of n's inline children in style st.
func (p *parser) walkInline(n ast.Node, st style) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			p.setStyle(st)
			seg := c.Segment.Value(p.src)
			if c.IsRaw() {
				p.scratch = append(p.scratch, seg...)
			} else {
				p.scratch = appendUnescaped(p.scratch, seg)
			}
			if c.HardLineBreak() {
				p.flush(true)
			} else if c.SoftLineBreak() {
				p.scratch = append(p.scratch, ' ')
			}
		case *ast.String:
			p.setStyle(st)
			if c.IsCode() || c.IsRaw() {
				p.scratch = append(p.scratch, c.Value...)
			} else {
				p.scratch = appendUnescaped(p.scratch, c.Value)
			}
		case *ast.Emphasis:
			s := st | italic
			if c.Level >= 2 {
				s = st | bold
			}
			p.walkInline(c, s)
		case *ast.AutoLink:
			p.setStyle(st)
			p.scratch = append(p.scratch, c.Label(p.src)...)
		case *ast.RawHTML:
			p.setStyle(st)
			for i := 0; i < c.Segments.Len(); i++ {
				seg := c.Segments.At(i)
				p.scratch = append(p.scratch, seg.Value(p.src)...)
			}
		default:
			// Links, images (alt text), code spans: their text children.
			p.walkInline(c, st)
		}
	}
}

// setStyle starts a new run when the style changes. Adjacent text nodes of
// the same style are merged into one run, which is what lets a placeholder
// split by goldmark into several text nodes (e.g. at the "_" of
// {{fee_amount}}) be recognised as a whole.
func (p *parser) setStyle(st style) {
	if st != p.curSt {
		p.flush(false)
		p.curSt = st
	}
}

// flush ends the current run.
func (p *parser) flush(brk bool) {
	if len(p.scratch) == 0 && !brk {
		return
	}
	if bytes.Contains(p.scratch, []byte("{{")) {
		p.vars = true
	}
	p.runs = append(p.runs, run{text: string(p.scratch), st: p.curSt, brk: brk})
	p.scratch = p.scratch[:0]
}

// appendUnescaped appends Markdown text with backslash escapes and entity
// references resolved, as goldmark's HTML renderer would show it.
func appendUnescaped(dst, src []byte) []byte {
	if bytes.IndexByte(src, '\\') < 0 && bytes.IndexByte(src, '&') < 0 {
		return append(dst, src...)
	}
	start := 0
	for i := 0; i < len(src); i++ {
		if src[i] == '\\' && i+1 < len(src) && util.IsPunct(src[i+1]) {
			dst = append(dst, resolveEntities(src[start:i])...)
			dst = append(dst, src[i+1])
			i++
			start = i + 1
		}
	}
	return append(dst, resolveEntities(src[start:])...)
}

func resolveEntities(b []byte) []byte {
	if bytes.IndexByte(b, '&') < 0 {
		return b
	}
	return util.ResolveEntityNames(util.ResolveNumericReferences(b))
}
