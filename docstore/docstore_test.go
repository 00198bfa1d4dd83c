package docstore_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"trustdocs/config"
	"trustdocs/docstore"
	"trustdocs/testkit"
)

func TestPutOnceWritesOneVersionWhateverTheRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	testkit.Bootstrap(t, cfg, clients)
	docs := docstore.Store{S3: clients.S3, Bucket: cfg.DocsBucket, Env: cfg.DocsEnv}
	keys := docs.Keys("dpk_1", "doc_1", 1)
	require.Equal(t, "prod/packs/dpk_1/doc_doc_1_v1.pdf", keys.PDF)
	require.Equal(t, "prod/packs/dpk_1/hash_doc_1.txt", keys.Hash)
	require.Equal(t, "prod/packs/dpk_1/envelope_doc_1.json", keys.Envelope)

	body := []byte("%PDF-1.4 the same bytes every time")
	sum, err := docs.PutOnce(ctx, keys.PDF, "application/pdf", body)
	require.NoError(t, err)
	require.Len(t, sum, 64)
	again, err := docs.PutOnce(ctx, keys.PDF, "application/pdf", body)
	require.NoError(t, err, "a retry with the same bytes succeeds")
	require.Equal(t, sum, again)

	_, err = docs.PutOnce(ctx, keys.PDF, "application/pdf", []byte("%PDF-1.4 other bytes"))
	require.ErrorIs(t, err, docstore.ErrObjectConflict)

	versions, err := clients.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(cfg.DocsBucket), Prefix: aws.String(keys.PDF)})
	require.NoError(t, err)
	require.Len(t, versions.Versions, 1, "one version, whatever the retries")
	got, err := docs.Get(ctx, keys.PDF)
	require.NoError(t, err)
	require.Equal(t, body, got)

	kind, doc := docstore.KindOf(keys.PDF)
	require.Equal(t, []string{docstore.KindPDF, "doc_1"}, []string{kind, doc})
	kind, doc = docstore.KindOf(keys.Envelope)
	require.Equal(t, []string{docstore.KindEnvelope, "doc_1"}, []string{kind, doc})
	_, err = docs.Get(ctx, keys.Hash)
	require.ErrorIs(t, err, docstore.ErrNoObject, "nothing was written at the hash key")
}

// Every put names its encryption, and S3 (MinIO with its KMS key) stores the object
// encrypted: HEAD shows SSE-S3 for a store without a KMS key, SSE-KMS with the key for
// one with it. LockOf reports both, beside the lock.
func TestStoredObjectsComeBackEncrypted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	testkit.Bootstrap(t, cfg, clients)

	for _, c := range []struct {
		kmsKey string
		want   s3types.ServerSideEncryption
	}{{"", s3types.ServerSideEncryptionAes256}, {config.LocalKMSKeyID, s3types.ServerSideEncryptionAwsKms}} {
		docs := docstore.Store{S3: clients.S3, Bucket: cfg.DocsBucket, Env: cfg.DocsEnv, KMSKeyID: c.kmsKey}
		require.Equal(t, c.want, docs.Encryption())
		key := docs.Keys("dpk_sse", "doc_"+string(c.want), 1).PDF
		_, err := docs.PutOnce(ctx, key, "application/pdf", []byte("%PDF-1.4 encrypted at rest"))
		require.NoError(t, err)

		head, err := clients.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(cfg.DocsBucket), Key: aws.String(key)})
		require.NoError(t, err)
		require.Equal(t, c.want, head.ServerSideEncryption, "stored with server-side encryption")
		lock, err := docs.LockOf(ctx, key)
		require.NoError(t, err)
		require.Equal(t, string(c.want), lock.Encryption)
		if c.kmsKey != "" {
			require.Contains(t, aws.ToString(head.SSEKMSKeyId), c.kmsKey, "encrypted with the configured key")
			require.Equal(t, aws.ToString(head.SSEKMSKeyId), lock.KMSKeyID)
		}
		got, err := docs.Get(ctx, key)
		require.NoError(t, err)
		require.Equal(t, "%PDF-1.4 encrypted at rest", string(got), "and read back decrypted")
	}

	keys := docstore.KeysFor("prod", "dpk_1", "doc_1", 1)
	require.Equal(t, "prod/packs/dpk_1/evidence_doc_1.json", keys.Evidence)
	kind, doc := docstore.KindOf(keys.Evidence)
	require.Equal(t, []string{docstore.KindEvidence, "doc_1"}, []string{kind, doc})
}
