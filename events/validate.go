package events

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schemas/*.json
var schemaFS embed.FS

// Error classes of a message that can never succeed. They travel with a dead letter as
// its error_class attribute, so on-call can filter on them.
const (
	ClassMalformed   = "malformed"    // not JSON, or not an object
	ClassSchema      = "schema"       // envelope or data does not match the type's schema
	ClassUnknownType = "unknown_type" // a type this pipeline does not know
	ClassUnhandled   = "unhandled"    // a known type this build has no job for yet
)

// InvalidError is a permanent decoding failure: retrying the same bytes cannot help.
type InvalidError struct {
	Class  string
	Type   string
	Reason string
}

func (e *InvalidError) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("%s: %s: %s", e.Class, e.Type, e.Reason)
	}
	return e.Class + ": " + e.Reason
}

// IsInvalid reports whether err is a permanent decoding failure and returns it.
func IsInvalid(err error) (*InvalidError, bool) {
	var ie *InvalidError
	ok := errors.As(err, &ie)
	return ie, ok
}

var printer = message.NewPrinter(language.English)

type schemas struct {
	envelope *jsonschema.Schema
	data     map[string]*jsonschema.Schema
}

var (
	compiled     schemas
	compileErr   error
	compileOnce  sync.Once
	schemaByType = map[string]string{} // type -> schema file, for Schema()
)

func load() (schemas, error) {
	compileOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat() // date-time, date and email are checked, not just annotated
		files, err := fs.Glob(schemaFS, "schemas/*.json")
		if err != nil {
			compileErr = err
			return
		}
		for _, f := range files {
			raw, _ := schemaFS.ReadFile(f)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				compileErr = fmt.Errorf("schema %s: %w", f, err)
				return
			}
			if err := c.AddResource(f, doc); err != nil {
				compileErr = fmt.Errorf("schema %s: %w", f, err)
				return
			}
		}
		compiled.data = map[string]*jsonschema.Schema{}
		for _, f := range files {
			sch, err := c.Compile(f)
			if err != nil {
				compileErr = fmt.Errorf("schema %s: %w", f, err)
				return
			}
			name := strings.TrimSuffix(strings.TrimPrefix(f, "schemas/"), ".json")
			if name == "envelope" {
				compiled.envelope = sch
				continue
			}
			compiled.data[name] = sch
			schemaByType[name] = f
		}
	})
	return compiled, compileErr
}

// Schema returns the JSON Schema of a type's data, as shipped.
func Schema(t string) ([]byte, error) {
	if _, err := load(); err != nil {
		return nil, err
	}
	f, ok := schemaByType[t]
	if !ok {
		return nil, fmt.Errorf("no schema for type %q", t)
	}
	return schemaFS.ReadFile(f)
}

// Decode parses and validates a message body: the envelope against the envelope schema,
// then data against its type's schema. Any failure is an *InvalidError naming the first
// problem found, with its JSON location.
func Decode(body []byte) (Envelope, error) {
	var env Envelope
	s, err := load()
	if err != nil {
		return env, fmt.Errorf("events: %w", err) // a build defect, not the message's fault
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return env, &InvalidError{Class: ClassMalformed, Reason: "not JSON: " + firstLine(err.Error())}
	}
	if _, ok := doc.(map[string]any); !ok {
		return env, &InvalidError{Class: ClassMalformed, Reason: "not a JSON object"}
	}
	if err := s.envelope.Validate(doc); err != nil {
		return env, &InvalidError{Class: ClassSchema, Reason: describe(err, "")}
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return env, &InvalidError{Class: ClassSchema, Reason: "envelope: " + err.Error()}
	}
	sch, ok := s.data[env.Type]
	if !ok {
		return env, &InvalidError{Class: ClassUnknownType, Type: env.Type, Reason: "no handler for this type"}
	}
	if err := sch.Validate(doc.(map[string]any)["data"]); err != nil {
		return env, &InvalidError{Class: ClassSchema, Type: env.Type, Reason: describe(err, "/data")}
	}
	return env, nil
}

// describe flattens a validation error to its most specific causes, one line, with
// locations as JSON pointers into the whole envelope.
func describe(err error, prefix string) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return firstLine(err.Error())
	}
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := prefix + "/" + strings.Join(e.InstanceLocation, "/")
			parts = append(parts, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(printer)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("and %d more", len(parts)-3))
	}
	return strings.Join(parts, "; ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
