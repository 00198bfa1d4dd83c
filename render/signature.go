package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Signature block geometry, in points.
const (
	sigLineW     = 250.0 // signature line
	sigDateX     = 290.0 // date line, from the block's left edge
	sigDateW     = 150.0
	sigSpaceSign = 24.0 // room above the lines for a handwritten signature
	sigCaption   = 7.5
)

// signatures places one block per signer after the last section. Each
// block is kept on one page, and the "Signatures" heading stays with the
// first block.
func (l *layout) signatures(signers []Signer) {
	for i, s := range signers {
		l.keepTogether(func() {
			if i == 0 {
				l.gap(sectionAbove + 6)
				l.paragraph([]run{{text: "Signatures"}}, bold, sectionSize, sectionSize*1.3, marginL, contentW)
				l.y += 4
			} else {
				l.gap(14)
			}
			l.signatureBlock(s)
		})
	}
}

func (l *layout) signatureBlock(s Signer) {
	l.paragraph([]run{{text: roleLabel(s.Role)}}, bold, 10, 13, marginL, contentW)
	l.paragraph([]run{{text: "Name: "}, {text: s.Name, st: bold}}, regular, bodySize, bodyLeading, marginL, contentW)
	l.paragraph([]run{{text: "Email: " + s.Email}}, regular, bodySize, bodyLeading, marginL, contentW)
	// The signing space above the line is where an e-sign provider puts the signer's
	// signature field.
	l.fields = append(l.fields, SignatureField{Role: s.Role, Page: l.pages(), X: marginL, Y: l.y, W: sigLineW, H: sigSpaceSign})
	l.y += sigSpaceSign
	l.rule(marginL, marginL+sigLineW)
	l.rule(marginL+sigDateX, marginL+sigDateX+sigDateW)
	l.y += 2
	l.text("Signature", regular, sigCaption, marginL)
	l.text("Date", regular, sigCaption, marginL+sigDateX)
	l.y += sigCaption * 1.3
}

// roleLabel turns a role key such as "studio_owner" into "Studio Owner".
func roleLabel(role string) string {
	words := strings.FieldsFunc(role, func(r rune) bool { return r == '_' || r == '-' || unicode.IsSpace(r) })
	for i, w := range words {
		r, n := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToUpper(r)) + w[n:]
	}
	if len(words) == 0 {
		return "Signatory"
	}
	return strings.Join(words, " ")
}
