package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
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

// BadgeChange is one badge issued, extended or revoked.
type BadgeChange struct {
	Kind, SourceID, Action, Reason string    // Action: issued, extended, revoked
	Expires                        time.Time // issued and extended: the new expiry
}

type badgeRow struct {
	id, kind, source string
	expires          *time.Time
	revoked          bool
}

func (b badgeRow) active(now time.Time) bool {
	return !b.revoked && (b.expires == nil || b.expires.After(now))
}

// DeriveBadgesTx brings the user's trust_badge rows in line with their sources:
//   - id_verified: an identity session that passed with a verified age;
//   - trusted_pro: a clear background check, while id_verified is active; it expires no
//     later than the id_verified badge it rests on;
//   - social_verified: a verified platform check, valid from the check's time.
//
// A badge whose source falls is revoked (the row stays, with when and why). An expired
// badge is not re-issued from the same identity session or background check: that takes
// a new one (recertification); a newer social check extends or re-issues its badge.
// The caller holds the user's trust lock (LockTrustUserTx), so derivations of one user
// never interleave. It returns what changed.
func DeriveBadgesTx(ctx context.Context, tx pgx.Tx, userID string, p BadgePolicy, now time.Time) ([]BadgeChange, error) {
	badges, err := loadBadges(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	d := deriver{ctx: ctx, tx: tx, user: userID, now: now, badges: badges}

	// id_verified
	idv, err := sourceStates(ctx, tx, `select idv_id, status = 'passed' and age_verified, status, updated_at from idv_status where user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	for _, s := range idv {
		if s.ok && !d.hasUnrevoked("id_verified", s.id) {
			if err := d.issue("id_verified", s.id, now.Add(p.IDVerified)); err != nil {
				return nil, err
			}
		}
	}
	if err := d.revokeWhere("id_verified", func(src string) (bool, string) {
		s, ok := idv[src]
		return !ok || !s.ok, "identity verification is no longer passed with a verified age"
	}); err != nil {
		return nil, err
	}
	// The latest expiry of an active id_verified badge (nil: one never expires).
	idActive, idExpiry := false, (*time.Time)(nil)
	for _, b := range d.badges {
		if b.kind == "id_verified" && b.active(now) {
			if !idActive || (idExpiry != nil && (b.expires == nil || b.expires.After(*idExpiry))) {
				idExpiry = b.expires
			}
			idActive = true
		}
	}

	// trusted_pro
	bg, err := sourceStates(ctx, tx, `select bg_id, status = 'clear', status, coalesce(status_at, updated_at) from bg_status where user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	for _, s := range bg {
		if s.ok && idActive && !d.anyActiveFor("trusted_pro", s.id) && !d.hasExpiredUnrevoked("trusted_pro", s.id) {
			exp := now.Add(p.TrustedPro)
			if idExpiry != nil && idExpiry.Before(exp) {
				exp = *idExpiry
			}
			if err := d.issue("trusted_pro", s.id, exp); err != nil {
				return nil, err
			}
		}
	}
	if err := d.revokeWhere("trusted_pro", func(src string) (bool, string) {
		s, ok := bg[src]
		switch {
		case !ok:
			return true, "background check not found"
		case !s.ok:
			return true, "background check is " + s.status
		case !idActive:
			return true, "id_verified is no longer active"
		}
		return false, ""
	}); err != nil {
		return nil, err
	}

	// social_verified
	soc, err := sourceStates(ctx, tx, `select soc_id, verified, case when verified then 'verified' else 'not verified' end,
		coalesce(last_checked_at, '-infinity') from social_verification where user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	for _, s := range soc {
		exp := s.at.Add(p.SocialVerified)
		if !s.ok || !exp.After(now) {
			continue
		}
		if b, ok := d.activeFor("social_verified", s.id); ok {
			if b.expires != nil && exp.After(*b.expires) {
				if _, err := tx.Exec(ctx, `update trust_badge set expires_at = $2 where badge_id = $1`, b.id, exp); err != nil {
					return nil, fmt.Errorf("extend badge %s: %w", b.id, err)
				}
				d.changes = append(d.changes, BadgeChange{"social_verified", s.id, "extended", "newer verified check", exp})
			}
			continue
		}
		if err := d.issue("social_verified", s.id, exp); err != nil {
			return nil, err
		}
	}
	if err := d.revokeWhere("social_verified", func(src string) (bool, string) {
		s, ok := soc[src]
		return !ok || !s.ok, "platform check is not verified"
	}); err != nil {
		return nil, err
	}
	return d.changes, nil
}

type sourceState struct {
	id, status string
	ok         bool
	at         time.Time
}

func sourceStates(ctx context.Context, tx pgx.Tx, sql, userID string) (map[string]sourceState, error) {
	rows, err := tx.Query(ctx, sql, userID)
	if err != nil {
		return nil, fmt.Errorf("badge sources of %s: %w", userID, err)
	}
	out := map[string]sourceState{}
	for rows.Next() {
		var s sourceState
		if err := rows.Scan(&s.id, &s.ok, &s.status, &s.at); err != nil {
			return nil, fmt.Errorf("badge sources of %s: %w", userID, err)
		}
		out[s.id] = s
	}
	return out, rows.Err()
}

func loadBadges(ctx context.Context, tx pgx.Tx, userID string) ([]badgeRow, error) {
	rows, err := tx.Query(ctx, `select badge_id, kind, coalesce(source_id, ''), expires_at, revoked_at is not null
		from trust_badge where user_id = $1 order by issued_at, badge_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("badges of %s: %w", userID, err)
	}
	var out []badgeRow
	for rows.Next() {
		var b badgeRow
		if err := rows.Scan(&b.id, &b.kind, &b.source, &b.expires, &b.revoked); err != nil {
			return nil, fmt.Errorf("badges of %s: %w", userID, err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

type deriver struct {
	ctx     context.Context
	tx      pgx.Tx
	user    string
	now     time.Time
	badges  []badgeRow
	changes []BadgeChange // what the derivation did, in order
}

func (d *deriver) hasUnrevoked(kind, src string) bool {
	for _, b := range d.badges {
		if b.kind == kind && b.source == src && !b.revoked {
			return true
		}
	}
	return false
}

func (d *deriver) hasExpiredUnrevoked(kind, src string) bool {
	for _, b := range d.badges {
		if b.kind == kind && b.source == src && !b.revoked && !b.active(d.now) {
			return true
		}
	}
	return false
}

func (d *deriver) activeFor(kind, src string) (badgeRow, bool) {
	for _, b := range d.badges {
		if b.kind == kind && b.source == src && b.active(d.now) {
			return b, true
		}
	}
	return badgeRow{}, false
}

func (d *deriver) anyActiveFor(kind, src string) bool { _, ok := d.activeFor(kind, src); return ok }

// issue adds a badge. Its id derives from the user, kind, source and how many badges
// that source already gave, so a re-run of the same derivation names the same badge.
func (d *deriver) issue(kind, src string, expires time.Time) error {
	n := 0
	for _, b := range d.badges {
		if b.kind == kind && b.source == src {
			n++
		}
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", d.user, kind, src, n)))
	id := "tbg_" + hex.EncodeToString(sum[:10])
	if _, err := d.tx.Exec(d.ctx, `insert into trust_badge (badge_id, user_id, kind, source_id, issued_at, expires_at)
		values ($1, $2, $3, $4, $5, $6)`, id, d.user, kind, src, d.now, expires); err != nil {
		return fmt.Errorf("issue %s badge to %s: %w", kind, d.user, err)
	}
	exp := expires
	d.badges = append(d.badges, badgeRow{id: id, kind: kind, source: src, expires: &exp})
	d.changes = append(d.changes, BadgeChange{kind, src, "issued", "", expires})
	return nil
}

// revokeWhere revokes the user's active badges of kind whose source fails the check.
func (d *deriver) revokeWhere(kind string, falls func(src string) (bool, string)) error {
	for i, b := range d.badges {
		if b.kind != kind || !b.active(d.now) {
			continue
		}
		fall, reason := falls(b.source)
		if !fall {
			continue
		}
		if _, err := d.tx.Exec(d.ctx, `update trust_badge set revoked_at = $2, revoked_reason = $3 where badge_id = $1`,
			b.id, d.now, reason); err != nil {
			return fmt.Errorf("revoke badge %s: %w", b.id, err)
		}
		d.badges[i].revoked = true
		d.changes = append(d.changes, BadgeChange{kind, b.source, "revoked", reason, time.Time{}})
	}
	return nil
}
