package store_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"trustdocs/store"
	"trustdocs/testkit"
)

func TestPutOnceWritesOneVersionWhateverTheRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := testkit.Config(t)
	clients := testkit.AWS(t, cfg)
	testkit.Bootstrap(t, cfg, clients)
	keys := store.KeysFor(cfg.DocsEnv, "dpk_1", "doc_1", 1)
	require.Equal(t, "prod/packs/dpk_1/doc_doc_1_v1.pdf", keys.PDF)
	require.Equal(t, "prod/packs/dpk_1/hash_doc_1.txt", keys.Hash)
	require.Equal(t, "prod/packs/dpk_1/envelope_doc_1.json", keys.Envelope)

	body := []byte("%PDF-1.4 the same bytes every time")
	sum, err := store.PutOnce(ctx, clients.S3, cfg.DocsBucket, keys.PDF, "application/pdf", body)
	require.NoError(t, err)
	require.Len(t, sum, 64)
	again, err := store.PutOnce(ctx, clients.S3, cfg.DocsBucket, keys.PDF, "application/pdf", body)
	require.NoError(t, err, "a retry with the same bytes succeeds")
	require.Equal(t, sum, again)

	_, err = store.PutOnce(ctx, clients.S3, cfg.DocsBucket, keys.PDF, "application/pdf", []byte("%PDF-1.4 other bytes"))
	require.ErrorIs(t, err, store.ErrObjectConflict)

	versions, err := clients.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(cfg.DocsBucket), Prefix: aws.String(keys.PDF)})
	require.NoError(t, err)
	require.Len(t, versions.Versions, 1, "one version, whatever the retries")
	got, err := store.GetObject(ctx, clients.S3, cfg.DocsBucket, keys.PDF)
	require.NoError(t, err)
	require.Equal(t, body, got)
}
