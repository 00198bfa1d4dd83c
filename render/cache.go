package render

import "sync"

// Parsed section bodies are cached by their Markdown source. Contracts are
// produced from a small number of templates with different variable
// values, and because placeholders are substituted after parsing, the
// parse of a template body is the same for every document made from it.
// Cached blocks are never modified: substitution copies what it changes.
//
// The cache is bounded by the total size of the sources it holds; when a
// new body would exceed the bound the cache is emptied and starts again,
// which keeps it simple and keeps its memory predictable. What is cached
// never affects the output, only how long it takes.
const (
	cacheMaxBytes = 4 << 20  // total Markdown source held
	cacheMaxBody  = 64 << 10 // larger bodies are parsed every time
)

var bodyCache = struct {
	sync.RWMutex
	m     map[string][]block
	bytes int
}{m: make(map[string][]block)}

// parseCached returns the blocks of body, parsing it only if it is not in
// the cache.
func parseCached(body string) []block {
	if len(body) > cacheMaxBody {
		return parseMarkdown(body)
	}
	bodyCache.RLock()
	bs, ok := bodyCache.m[body]
	bodyCache.RUnlock()
	if ok {
		return bs
	}
	bs = parseMarkdown(body)
	bodyCache.Lock()
	if _, dup := bodyCache.m[body]; !dup {
		if bodyCache.bytes+len(body) > cacheMaxBytes {
			clear(bodyCache.m)
			bodyCache.bytes = 0
		}
		bodyCache.m[body] = bs
		bodyCache.bytes += len(body)
	}
	bodyCache.Unlock()
	return bs
}
