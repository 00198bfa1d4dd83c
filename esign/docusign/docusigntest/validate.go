package docusigntest

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Testdata holds DocuSign's published documents the stand-in is checked against (see
// testdata/SOURCE.md): the eSignature API trimmed to what the adapter calls, and an
// example Connect message with every field.
//
//go:embed testdata/esignature.rest.swagger-v2.trimmed.json testdata/connect.schema-v2.json
var Testdata embed.FS

const swaggerFile = "testdata/esignature.rest.swagger-v2.trimmed.json"

// spec is the eSignature document as OpenAPI 3 and its router, loaded once: the
// conversion takes a while, and the result is only read.
var spec = sync.OnceValues(func() (*specDoc, error) {
	raw, err := Testdata.ReadFile(swaggerFile)
	if err != nil {
		return nil, err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return nil, fmt.Errorf("%s: %w", swaggerFile, err)
	}
	patchV2(&doc2)
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("%s: to OpenAPI 3: %w", swaggerFile, err)
	}
	patchV3(doc)
	// Any host: the stand-in's address changes per test; the paths under /restapi are
	// /v2.1/accounts/{accountId}/...
	doc.Servers = openapi3.Servers{{URL: "/restapi"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", swaggerFile, err)
	}
	return &specDoc{doc: doc, router: router}, nil
})

type specDoc struct {
	doc    *openapi3.T
	router routers.Router
}

// patchV2 mends the published document where it cannot be loaded as it is: witness
// refers to a definition offlineAttributes that the document does not define ("Reserved
// for DocuSign"); it becomes an object of any shape.
func patchV2(doc *openapi2.T) {
	if _, ok := doc.Definitions["offlineAttributes"]; !ok {
		doc.Definitions["offlineAttributes"] = &openapi2.SchemaRef{Value: &openapi2.Schema{
			Type: &openapi3.Types{openapi3.TypeObject}, Description: "stub: referenced but not defined by the published document"}}
	}
}

// patchV3 makes the document what the stand-in checks requests against:
//
//   - eventNotification gains the JSON SIM fields of API v2.1, eventData
//     (connectEventData: version, format, includeData) and events, which the v2 document
//     predates; without them Connect posts XML.
//   - every object refuses properties the document does not define. DocuSign ignores
//     them, so a misspelt field name would be dropped without a word; here it is an
//     error.
func patchV3(doc *openapi3.T) {
	schemas := doc.Components.Schemas
	str := openapi3.NewStringSchema()
	schemas["connectEventData"] = openapi3.NewSchemaRef("", openapi3.NewObjectSchema().
		WithProperty("version", str).WithProperty("format", str).
		WithProperty("includeData", openapi3.NewArraySchema().WithItems(str)))
	en := schemas["eventNotification"].Value
	en.Properties["eventData"] = openapi3.NewSchemaRef("#/components/schemas/connectEventData", schemas["connectEventData"].Value)
	en.Properties["events"] = openapi3.NewArraySchema().WithItems(str).NewRef()

	seen := map[*openapi3.Schema]bool{}
	var closeObjects func(*openapi3.SchemaRef)
	closeObjects = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 && s.AdditionalProperties.Schema == nil && s.AdditionalProperties.Has == nil {
			s.AdditionalProperties.Has = openapi3.Ptr(false)
		}
		for _, p := range s.Properties {
			closeObjects(p)
		}
		closeObjects(s.Items)
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
			for _, r := range group {
				closeObjects(r)
			}
		}
	}
	for _, s := range schemas {
		closeObjects(s)
	}
}

// validation is a route found for a request and the input to check its answer with.
type validation struct {
	route  *routers.Route
	params map[string]string
	input  *openapi3filter.RequestValidationInput
}

// findRoute finds the operation of the document r calls.
func findRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	sd, err := spec()
	if err != nil {
		return nil, nil, err
	}
	route, params, err := sd.router.FindRoute(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: no such operation in the document: %w", r.Method, r.URL.Path, err)
	}
	return route, params, nil
}

// validateRequest checks r (whose body has been read into body) against its operation:
// path and query parameters, and the JSON body.
func validateRequest(ctx context.Context, r *http.Request, body []byte, route *routers.Route, params map[string]string) (*validation, error) {
	// kin-openapi ignores query parameters the operation does not declare; DocuSign does
	// too, which would hide a misspelt filter (a search that then finds everything).
	declared := map[string]bool{}
	for _, p := range append(route.PathItem.Parameters, route.Operation.Parameters...) {
		if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
			declared[p.Value.Name] = true
		}
	}
	var unknown []string
	for name := range r.URL.Query() {
		if !declared[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s %s: query parameters %s are not in the document", r.Method, route.Operation.OperationID, strings.Join(unknown, ", "))
	}
	req := r.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: options()}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return nil, fmt.Errorf("%s: %w", route.Operation.OperationID, err)
	}
	return &validation{route: route, params: params, input: in}, nil
}

// options: every problem, each as where and what, without the schema and the value
// (the envelopeDefinition schema alone is pages long).
func options() *openapi3filter.Options {
	o := &openapi3filter.Options{MultiError: true}
	o.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		if err.Reason == "" {
			return "" // kin-openapi's own message
		}
		return "at /" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
	})
	return o
}

// validateAnswer checks the stand-in's own 2xx answers against the document, so that
// it cannot drift into answering what DocuSign would not.
func (v *validation) validateAnswer(ctx context.Context, a answer) error {
	if a.status < 200 || a.status > 299 {
		return nil // the document describes errors as errorDetails only, and no 401/429/5xx
	}
	opts := options()
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		opts.ExcludeResponseBody = true // PDFs: the document says "file"
	}
	err := openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: v.input, Status: a.status, Header: a.header,
		Body: io.NopCloser(bytes.NewReader(a.body)), Options: opts,
	})
	if err != nil {
		return fmt.Errorf("%s answer: %w", v.route.Operation.OperationID, err)
	}
	return nil
}
