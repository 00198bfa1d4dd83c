package dropboxsigntest

import (
	_ "embed"
	"fmt"
	"regexp"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The document, byte for byte as published (testdata/SOURCE.md).
//
//go:embed testdata/openapi.yaml
var specYAML []byte

// specServer is the document's server URL: requests are matched as if sent there.
const specServer = "https://api.hellosign.com"

// markdownRef matches a description that is a $ref to one of the upstream repository's
// markdown files, which the copy does not include: `description:` then, one line down,
// `$ref: ./markdown/...`. kin-openapi reads a description as a string, so such a map
// would fail the load.
var markdownRef = regexp.MustCompile(`(?m)^(\s*)description:\n\s*\$ref: (\./markdown/\S+)$`)

type spec struct {
	doc    *openapi3.T
	router routers.Router
}

// loadSpec parses the document once per test binary: about 70 ms, and read-only after.
var loadSpec = sync.OnceValues(func() (*spec, error) {
	patched := markdownRef.ReplaceAll(specYAML, []byte("${1}description: 'Described in ${2} upstream.'"))
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(patched)
	if err != nil {
		return nil, fmt.Errorf("load the Dropbox Sign API document: %w", err)
	}
	// NewRouter validates the document first; the examples are $refs to files the copy
	// does not include, so they are not.
	router, err := legacy.NewRouter(doc, openapi3.DisableExamplesValidation())
	if err != nil {
		return nil, fmt.Errorf("validate the Dropbox Sign API document: %w", err)
	}
	return &spec{doc: doc, router: router}, nil
})

// schema returns a component schema of the document.
func (s *spec) schema(name string) *openapi3.Schema {
	ref := s.doc.Components.Schemas[name]
	if ref == nil {
		return nil
	}
	return ref.Value
}
