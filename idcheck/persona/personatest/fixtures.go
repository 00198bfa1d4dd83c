package personatest

import (
	"embed"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// testdata holds examples copied verbatim from Persona's API document: testdata/SOURCE.md.
//
//go:embed testdata/*.yaml
var testdata embed.FS

// example is the value of an example file (components/examples/*.yaml: {value: ...}).
func example(name string) (map[string]any, error) {
	v, err := load(name)
	if err != nil {
		return nil, err
	}
	val, ok := dig(v, "value").(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: no example value", name)
	}
	return val, nil
}

// responseExample is the first example body of a response file
// (components/responses/*.yaml: content.application/json.examples.<name>.value).
func responseExample(name string) (map[string]any, error) {
	v, err := load(name)
	if err != nil {
		return nil, err
	}
	examples, _ := dig(v, "content", "application/json", "examples").(map[string]any)
	for _, ex := range examples {
		if val, ok := dig(ex, "value").(map[string]any); ok {
			return val, nil
		}
	}
	return nil, fmt.Errorf("%s: no example body", name)
}

func load(name string) (any, error) {
	b, err := testdata.ReadFile("testdata/" + name)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return fromNode(&n)
}

// fromNode converts YAML to JSON-ready values. It goes through yaml.Node because decoding
// into any would turn a plain date scalar into a time.Time; here every scalar that is
// not a number, boolean or null stays the string written.
func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		return strconv.ParseBool(n.Value)
	case "!!int":
		return strconv.ParseInt(n.Value, 0, 64)
	case "!!float":
		return strconv.ParseFloat(n.Value, 64)
	}
	return n.Value, nil
}

// dig walks nested maps by key; nil when a step is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
