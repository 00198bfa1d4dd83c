package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Badge kinds, as trust_badge.kind and the trust_cache item's badges say them.
const (
	BadgeIDVerified     = "id_verified"
	BadgeTrustedPro     = "trusted_pro"
	BadgeSocialVerified = "social_verified"
)

// BadgePolicy is how long each badge lasts before it needs recertification.
type BadgePolicy struct {
	IDVerified, TrustedPro, SocialVerified time.Duration
}

// DefaultBadgePolicy: identity and background checks are redone yearly; social checks
// every six months (follower counts and handles change faster).
var DefaultBadgePolicy = BadgePolicy{
	IDVerified: 365 * 24 * time.Hour, TrustedPro: 365 * 24 * time.Hour, SocialVerified: 182 * 24 * time.Hour,
}

// Source is one row a badge can rest on (an identity session, a background check, a
// platform check), as far as badges care: whether it qualifies, its status for the
// revocation reason, and (social checks) when it was made.
type Source struct {
	ID, Status string
	OK         bool
	At         time.Time
}

// Sources are a user's badge sources by kind, each by source id.
type Sources struct {
	IDV, BG, Social map[string]Source
}

// Badge is one trust_badge row, revoked or not.
type Badge struct {
	ID, Kind, Source string
	Expires          *time.Time
	Revoked          bool
}

func (b Badge) active(now time.Time) bool {
	return !b.Revoked && (b.Expires == nil || b.Expires.After(now))
}

// Badge change actions.
const (
	BadgeIssued   = "issued"
	BadgeExtended = "extended"
	BadgeRevoked  = "revoked"
)

// BadgeChange is one badge issued, extended or revoked: what the store must write.
type BadgeChange struct {
	BadgeID, Kind, SourceID, Action, Reason string
	Expires                                 time.Time // issued and extended: the new expiry
}

// DeriveBadges decides how the user's badges must change to be in line with their
// sources:
//   - id_verified: an identity session that passed with a verified age;
//   - trusted_pro: a clear background check, while id_verified is active; it expires no
//     later than the id_verified badge it rests on;
//   - social_verified: a verified platform check, valid from the check's time.
//
// A badge whose source falls is revoked (the row stays, with when and why). An expired
// badge is not re-issued from the same identity session or background check: that takes
// a new one (recertification); a newer social check extends or re-issues its badge.
// The result is in the order the changes were decided; applying it twice is prevented by
// the caller holding the user's trust lock while it reads, decides and writes.
func DeriveBadges(userID string, src Sources, badges []Badge, p BadgePolicy, now time.Time) []BadgeChange {
	d := deriver{user: userID, now: now, badges: append([]Badge(nil), badges...)}

	// id_verified
	for _, s := range src.IDV {
		if s.OK && !d.hasUnrevoked(BadgeIDVerified, s.ID) {
			d.issue(BadgeIDVerified, s.ID, now.Add(p.IDVerified))
		}
	}
	d.revokeWhere(BadgeIDVerified, func(id string) (bool, string) {
		s, ok := src.IDV[id]
		return !ok || !s.OK, "identity verification is no longer passed with a verified age"
	})
	// The latest expiry of an active id_verified badge (nil: one never expires).
	idActive, idExpiry := false, (*time.Time)(nil)
	for _, b := range d.badges {
		if b.Kind == BadgeIDVerified && b.active(now) {
			if !idActive || (idExpiry != nil && (b.Expires == nil || b.Expires.After(*idExpiry))) {
				idExpiry = b.Expires
			}
			idActive = true
		}
	}

	// trusted_pro
	for _, s := range src.BG {
		if s.OK && idActive && !d.anyActiveFor(BadgeTrustedPro, s.ID) && !d.hasExpiredUnrevoked(BadgeTrustedPro, s.ID) {
			exp := now.Add(p.TrustedPro)
			if idExpiry != nil && idExpiry.Before(exp) {
				exp = *idExpiry
			}
			d.issue(BadgeTrustedPro, s.ID, exp)
		}
	}
	d.revokeWhere(BadgeTrustedPro, func(id string) (bool, string) {
		s, ok := src.BG[id]
		switch {
		case !ok:
			return true, "background check not found"
		case !s.OK:
			return true, "background check is " + s.Status
		case !idActive:
			return true, "id_verified is no longer active"
		}
		return false, ""
	})

	// social_verified
	for _, s := range src.Social {
		exp := s.At.Add(p.SocialVerified)
		if !s.OK || !exp.After(now) {
			continue
		}
		if b, ok := d.activeFor(BadgeSocialVerified, s.ID); ok {
			if b.Expires != nil && exp.After(*b.Expires) {
				d.changes = append(d.changes, BadgeChange{b.ID, BadgeSocialVerified, s.ID, BadgeExtended, "newer verified check", exp})
			}
			continue
		}
		d.issue(BadgeSocialVerified, s.ID, exp)
	}
	d.revokeWhere(BadgeSocialVerified, func(id string) (bool, string) {
		s, ok := src.Social[id]
		return !ok || !s.OK, "platform check is not verified"
	})
	return d.changes
}

type deriver struct {
	user    string
	now     time.Time
	badges  []Badge       // the rows as they will be after the changes so far
	changes []BadgeChange // what the derivation did, in order
}

func (d *deriver) hasUnrevoked(kind, src string) bool {
	for _, b := range d.badges {
		if b.Kind == kind && b.Source == src && !b.Revoked {
			return true
		}
	}
	return false
}

func (d *deriver) hasExpiredUnrevoked(kind, src string) bool {
	for _, b := range d.badges {
		if b.Kind == kind && b.Source == src && !b.Revoked && !b.active(d.now) {
			return true
		}
	}
	return false
}

func (d *deriver) activeFor(kind, src string) (Badge, bool) {
	for _, b := range d.badges {
		if b.Kind == kind && b.Source == src && b.active(d.now) {
			return b, true
		}
	}
	return Badge{}, false
}

func (d *deriver) anyActiveFor(kind, src string) bool { _, ok := d.activeFor(kind, src); return ok }

// issue adds a badge. Its id derives from the user, kind, source and how many badges
// that source already gave, so a re-run of the same derivation names the same badge.
func (d *deriver) issue(kind, src string, expires time.Time) {
	n := 0
	for _, b := range d.badges {
		if b.Kind == kind && b.Source == src {
			n++
		}
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", d.user, kind, src, n)))
	id := "tbg_" + hex.EncodeToString(sum[:10])
	exp := expires
	d.badges = append(d.badges, Badge{ID: id, Kind: kind, Source: src, Expires: &exp})
	d.changes = append(d.changes, BadgeChange{id, kind, src, BadgeIssued, "", expires})
}

// revokeWhere revokes the user's active badges of kind whose source fails the check.
func (d *deriver) revokeWhere(kind string, falls func(src string) (bool, string)) {
	for i, b := range d.badges {
		if b.Kind != kind || !b.active(d.now) {
			continue
		}
		fall, reason := falls(b.Source)
		if !fall {
			continue
		}
		d.badges[i].Revoked = true
		d.changes = append(d.changes, BadgeChange{b.ID, kind, b.Source, BadgeRevoked, reason, time.Time{}})
	}
}
