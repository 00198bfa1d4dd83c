package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TrustCacheItem is the one DynamoDB item per user that search and booking read instead
// of PostgreSQL. Version is the user's trust version: it only grows, and a write carrying
// an older or equal version is refused, so a stale state never replaces a newer one.
type TrustCacheItem struct {
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

// ErrStaleVersion means the table already holds this user's item at the same or a newer
// version; the write changed nothing.
var ErrStaleVersion = errors.New("trust cache holds the same or a newer version")

// PutTrustCache writes item only if the stored item is missing or older.
func PutTrustCache(ctx context.Context, db *dynamodb.Client, table string, item TrustCacheItem) error {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return fmt.Errorf("encode trust cache item %s: %w", item.UserID, err)
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(table),
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

// GetTrustCache reads a user's item; found is false when there is none.
func GetTrustCache(ctx context.Context, db *dynamodb.Client, table, userID string) (item TrustCacheItem, found bool, err error) {
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(table),
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

// DeleteTrustCacheExcept deletes the items of users not in keep and returns whom it
// deleted. Each delete is conditional on the version scanned, so an item a refresh
// writes meanwhile stays.
func DeleteTrustCacheExcept(ctx context.Context, db *dynamodb.Client, table string, keep map[string]bool) ([]string, error) {
	var deleted []string
	pages := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{
		TableName: aws.String(table), ProjectionExpression: aws.String("user_id, version"), ConsistentRead: aws.Bool(true)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return deleted, fmt.Errorf("scan %s: %w", table, err)
		}
		for _, it := range page.Items {
			id, _ := it["user_id"].(*ddbtypes.AttributeValueMemberS)
			if id == nil || keep[id.Value] {
				continue
			}
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{"user_id": id},
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
