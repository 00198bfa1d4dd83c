package trust

import (
	"slices"
	"sort"
	"time"

	"trustdocs/risk"
)

// NoExpiryHorizon is valid_until for an item in which nothing expires (no badge with an
// expiry, no risk window with data): any change rewrites the item long before.
const NoExpiryHorizon = 365 * 24 * time.Hour

// Item builds the cache item of a state at now.
//
// Risk: the shortest rolling window with enough data (like eBay grading the last 3
// months only when they hold enough transactions), else the longest window that has any
// data, shown without a score (insufficient data), else none. valid_until is the
// earliest badge expiry or, when a window with data is shown, that window's end (when
// the daily roll replaces it).
func Item(s State, now time.Time) CacheItem {
	it := CacheItem{
		UserID: s.UserID, Version: s.Version, IDVPassed: s.IDVPassed, AgeVerified: s.AgeVerified,
		Badges: []string{}, ComputedAt: now.UTC().Truncate(time.Millisecond),
	}
	validUntil := now.UTC().Add(NoExpiryHorizon)
	for _, b := range s.Badges {
		it.Badges = append(it.Badges, b.Kind)
		switch b.Kind {
		case "trusted_pro":
			it.TrustedPro = true
		case "social_verified":
			it.SocialVerified = true
		}
		if b.Expires != nil && b.Expires.Before(validUntil) {
			validUntil = b.Expires.UTC()
		}
	}
	sort.Strings(it.Badges)

	var shown *risk.Snapshot
	for i := range s.Risk { // shortest first
		r := &s.Risk[i]
		if r.HasData() && !r.Result.Insufficient {
			shown = r
			break
		}
	}
	if shown == nil {
		for i := len(s.Risk) - 1; i >= 0; i-- {
			if s.Risk[i].HasData() {
				shown = &s.Risk[i]
				break
			}
		}
	}
	if shown != nil {
		it.RiskWindow = shown.Window.String()
		if !shown.Result.Insufficient {
			score := shown.Result.Score
			it.RiskScore = &score
		}
		if end := shown.Window.End.UTC(); end.Before(validUntil) {
			validUntil = end
		}
	}
	it.ValidUntil = validUntil
	return it
}

// Same reports whether two items say the same thing (computed_at aside): what reconcile
// compares.
func Same(a, b CacheItem) bool {
	sameScore := (a.RiskScore == nil) == (b.RiskScore == nil) && (a.RiskScore == nil || *a.RiskScore == *b.RiskScore)
	return sameScore && slices.Equal(a.Badges, b.Badges) && a.UserID == b.UserID && a.Version == b.Version &&
		a.IDVPassed == b.IDVPassed && a.AgeVerified == b.AgeVerified && a.TrustedPro == b.TrustedPro &&
		a.SocialVerified == b.SocialVerified && a.RiskWindow == b.RiskWindow
}
