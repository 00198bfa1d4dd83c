package events_test

import (
	"os"
	"testing"

	"trustdocs/events"
)

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"risk.dispute.opened", "booking.checkout.completed"} {
		body, err := os.ReadFile("examples/" + name + ".json")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := events.Decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
