package render

import (
	"os"
	"testing"
)

func TestScratch(t *testing.T) {
	b, err := Render(StandardContract())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/std.pdf", b, 0o644)
	t.Logf("size %d", len(b))
}
