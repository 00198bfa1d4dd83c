// Package trustcache is the one writer of the DynamoDB trust_cache item: Writer builds a
// user's item from PostgreSQL (trust.Item over store.LoadTrustState) and puts it on
// condition that the stored version is older; Reconciler compares items with PostgreSQL
// and repairs them through the same Writer. The refresh job and `pipelinectl cache
// reconcile` both use it, so there is one way an item gets written.
package trustcache

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"trustdocs/trust"
)

// Table is the trust_cache table.
type Table struct {
	DB   *dynamodb.Client
	Name string
}

// ErrStaleVersion means the table already holds this user's item at the same or a newer
// version; the write changed nothing.
var ErrStaleVersion = errors.New("trust cache holds the same or a newer version")

// Put writes item only if the stored item is missing or older. Only Writer calls it:
// every item written is built from PostgreSQL.
func (t Table) put(ctx context.Context, item trust.CacheItem) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode trust cache item %s: %w", item.UserID, err)
	}
	_, err = t.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(t.Name),
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(user_id) OR version < :v"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":v": &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(item.Version)},
		},
	})
	var ccf *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("user %s version %d: %w", item.UserID, item.Version, ErrStaleVersion)
	}
	if err != nil {
		return fmt.Errorf("put trust cache %s v%d: %w", item.UserID, item.Version, err)
	}
	return nil
}

// Get reads a user's item; found is false when there is none.
func (t Table) Get(ctx context.Context, userID string) (item trust.CacheItem, found bool, err error) {
	out, err := t.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.Name),
		Key:            map[string]ddbtypes.AttributeValue{"user_id": &ddbtypes.AttributeValueMemberS{Value: userID}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return item, false, fmt.Errorf("get trust cache %s: %w", userID, err)
	}
	if out.Item == nil {
		return item, false, nil
	}
	if err := attributevalue.UnmarshalMap(out.Item, &item); err != nil {
		return item, false, fmt.Errorf("decode trust cache %s: %w", userID, err)
	}
	return item, true, nil
}

// deleteExcept deletes the items of users not in keep and returns whom it deleted. Each
// delete is conditional on the version scanned, so an item a refresh writes meanwhile
// stays.
func (t Table) deleteExcept(ctx context.Context, keep map[string]bool) ([]string, error) {
	var deleted []string
	pages := dynamodb.NewScanPaginator(t.DB, &dynamodb.ScanInput{
		TableName: aws.String(t.Name), ProjectionExpression: aws.String("user_id, version"), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return deleted, fmt.Errorf("scan %s: %w", t.Name, err)
		}
		for _, it := range page.Items {
			id, _ := it["user_id"].(*ddbtypes.AttributeValueMemberS)
			if id == nil || keep[id.Value] {
				continue
			}
			_, err := t.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(t.Name), Key: map[string]ddbtypes.AttributeValue{"user_id": id},
				ConditionExpression:       aws.String("version = :v"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": it["version"]},
			})
			var ccf *ddbtypes.ConditionalCheckFailedException
			switch {
			case errors.As(err, &ccf):
			case err != nil:
				return deleted, fmt.Errorf("delete orphaned item %s: %w", id.Value, err)
			default:
				deleted = append(deleted, id.Value)
			}
		}
	}
	return deleted, nil
}
