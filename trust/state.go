package trust

import (
	"time"

	"trustdocs/risk"
)

// State is everything the trust_cache item is built from, read in one snapshot so
// Version matches the rest.
type State struct {
	UserID      string
	Version     int64
	IDVPassed   bool
	AgeVerified bool
	Badges      []ActiveBadge   // active (not revoked, not expired) badges, by kind
	Risk        []risk.Snapshot // the newest snapshot of each rolling window length, shortest first
}

// ActiveBadge is a badge in force; Expires nil means it does not expire.
type ActiveBadge struct {
	Kind    string
	Expires *time.Time
}

// CacheItem is the one DynamoDB item per user that search and booking read instead of
// PostgreSQL. Version is the user's trust version: it only grows, and a write carrying
// an older or equal version is refused, so a stale state never replaces a newer one.
type CacheItem struct {
	UserID         string    `dynamodbav:"user_id" json:"user_id"`
	IDVPassed      bool      `dynamodbav:"idv_passed" json:"idv_passed"`
	AgeVerified    bool      `dynamodbav:"age_verified" json:"age_verified"`
	TrustedPro     bool      `dynamodbav:"trusted_pro" json:"trusted_pro"`
	SocialVerified bool      `dynamodbav:"social_verified" json:"social_verified"`
	RiskScore      *int      `dynamodbav:"risk_score" json:"risk_score"`   // nil: insufficient data
	RiskWindow     string    `dynamodbav:"risk_window" json:"risk_window"` // "[2026-08-26,2026-11-24)"
	Badges         []string  `dynamodbav:"badges" json:"badges"`
	Version        int64     `dynamodbav:"version" json:"version"`
	ComputedAt     time.Time `dynamodbav:"computed_at" json:"computed_at"`
	ValidUntil     time.Time `dynamodbav:"valid_until" json:"valid_until"`
}
