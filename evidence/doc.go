// Package evidence proves a stored document untouched: it re-renders a document from
// the inputs the database keeps (docpack.Render, as the render job did), compares
// hashes across S3, the hash file and the database, checks the evidence chain, and reads
// and sets the S3 retention and legal hold of a document's objects.
package evidence
