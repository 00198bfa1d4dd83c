package dropboxsigntest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Dropbox Sign's multipart forms name nested values with brackets: signers[0][name],
// metadata[doc_id], files[0] (or files[]). kin-openapi's multipart decoder knows only
// flat names, so the stand-in reads the form itself into the object the same request
// would carry as JSON, and validates that against the operation's schema.

// form is a parsed multipart request: the object it stands for (as decoded JSON:
// numbers are float64), that object as JSON, and its files' bytes by index.
type form struct {
	object map[string]any
	json   []byte
	files  [][]byte
}

// fileRef is a file part's place in the object until it is replaced by its name: the
// schema types files as strings (format binary).
type fileRef struct {
	name string
	data []byte
}

// readForm parses a multipart/form-data body and types its values by schema.
func readForm(contentType string, body []byte, schema *openapi3.Schema) (form, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return form{}, fmt.Errorf("content type %q is not multipart/form-data with a boundary", contentType)
	}
	root := map[string]any{}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return form{}, fmt.Errorf("multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return form{}, fmt.Errorf("multipart part %q: %w", part.FormName(), err)
		}
		keys, err := splitName(part.FormName())
		if err != nil {
			return form{}, err
		}
		var v any = string(data)
		if part.FileName() != "" {
			v = fileRef{name: part.FileName(), data: data}
		}
		if err := insert(root, keys, v); err != nil {
			return form{}, fmt.Errorf("form field %q: %w", part.FormName(), err)
		}
	}
	out, err := arrays(root)
	if err != nil {
		return form{}, err
	}
	f := form{object: out.(map[string]any)}
	if list, ok := f.object["files"].([]any); ok {
		for i, v := range list {
			if ref, ok := v.(fileRef); ok {
				f.files = append(f.files, ref.data)
				list[i] = ref.name
			}
		}
	}
	coerce(schema, f.object)
	// Round-trip through JSON: the object is then exactly what a JSON body would decode
	// to, and the JSON is what gets validated.
	if f.json, err = json.Marshal(f.object); err != nil {
		return form{}, err
	}
	f.object = nil
	if err := json.Unmarshal(f.json, &f.object); err != nil {
		return form{}, err
	}
	return f, nil
}

// splitName splits "signers[0][name]" into ["signers", "0", "name"]; "files[]" gives
// ["files", ""], an append.
func splitName(name string) ([]string, error) {
	head, rest, found := strings.Cut(name, "[")
	if head == "" {
		return nil, fmt.Errorf("form field name %q", name)
	}
	keys := []string{head}
	for found {
		key, after, ok := strings.Cut(rest, "]")
		if !ok {
			return nil, fmt.Errorf("form field name %q: unclosed [", name)
		}
		keys = append(keys, key)
		if after == "" {
			break
		}
		if after[0] != '[' {
			return nil, fmt.Errorf("form field name %q: text after ]", name)
		}
		rest = after[1:]
	}
	return keys, nil
}

// insert sets v at keys in a tree of maps; an empty key appends.
func insert(node map[string]any, keys []string, v any) error {
	key := keys[0]
	if key == "" {
		key = strconv.Itoa(len(node))
	}
	if len(keys) == 1 {
		if _, dup := node[key]; dup {
			return errors.New("given twice")
		}
		node[key] = v
		return nil
	}
	child, ok := node[key].(map[string]any)
	if !ok {
		if _, taken := node[key]; taken {
			return errors.New("is both a value and a container")
		}
		child = map[string]any{}
		node[key] = child
	}
	return insert(child, keys[1:], v)
}

// arrays turns every map whose keys are exactly 0..n-1 into a list.
func arrays(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, nil
	}
	for k, child := range m {
		c, err := arrays(child)
		if err != nil {
			return nil, err
		}
		m[k] = c
	}
	idx := make([]int, 0, len(m))
	for k := range m {
		i, ok := index(k)
		if !ok {
			return m, nil // an object
		}
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return m, nil
	}
	slices.Sort(idx)
	list := make([]any, len(idx))
	for n, i := range idx {
		if i != n {
			return nil, fmt.Errorf("indexes %v do not run 0..%d", idx, len(idx)-1)
		}
		list[n] = m[strconv.Itoa(i)]
	}
	return list, nil
}

// index reads a list index: a decimal number, 0 or more.
func index(key string) (int, bool) {
	i, err := strconv.Atoi(key)
	return i, err == nil && i >= 0
}

// coerce types form strings by the schema: integers, numbers, booleans; and decodes as
// JSON a string where the schema wants an array or object (form_fields_per_document
// travels as a JSON string). A string that does not parse stays a string, for the
// validator to report in its own words.
func coerce(s *openapi3.Schema, v any) any {
	if s == nil {
		return v
	}
	switch v := v.(type) {
	case string:
		switch {
		case s.Type.Is("integer"):
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		case s.Type.Is("number"):
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
		case s.Type.Is("boolean"):
			if b, err := strconv.ParseBool(v); err == nil {
				return b
			}
		case s.Type.Is("array"), s.Type.Is("object"):
			var x any
			if json.Unmarshal([]byte(v), &x) == nil {
				return x
			}
		}
		return v
	case map[string]any:
		for k, child := range v {
			var cs *openapi3.Schema
			if p := s.Properties[k]; p != nil {
				cs = p.Value
			} else if ap := s.AdditionalProperties.Schema; ap != nil {
				cs = ap.Value
			}
			v[k] = coerce(cs, child)
		}
		return v
	case []any:
		if s.Items != nil {
			for i, child := range v {
				v[i] = coerce(s.Items.Value, child)
			}
		}
		return v
	}
	return v
}
