// Package trust is the trust domain, pure logic with no I/O: a user's trust State, the
// badge policy and the decision of which badges to issue, extend or revoke
// (DeriveBadges), and the trust_cache item built from a state (Item). Being pure, the
// refresh job and `pipelinectl cache reconcile` build exactly the same item from the
// same state, and the badge rules are unit-tested without a database.
//
// store/ reads and writes the rows these types describe; trustcache/ writes the item to
// DynamoDB.
package trust
