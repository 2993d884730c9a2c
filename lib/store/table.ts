import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

/**
 * The one DynamoDB table (single-table design, see README). `serverless.yml` declares the
 * same shape; the local stack and the tests create it from this definition.
 */
export const TABLE_KEY = { partition: "pk", sort: "sk" } as const;
/** Epoch seconds; DynamoDB's TTL removes the item some time after it passes. */
export const TTL_ATTRIBUTE = "expiresAt";
/** Secondary index that lists items by kind (`gsi1pk`), e.g. every link of one flow. */
export const INDEX_BY_KIND = { name: "byKind", partition: "gsi1pk", sort: "gsi1sk" } as const;

export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [
      { AttributeName: TABLE_KEY.partition, AttributeType: "S" },
      { AttributeName: TABLE_KEY.sort, AttributeType: "S" },
      { AttributeName: INDEX_BY_KIND.partition, AttributeType: "S" },
      { AttributeName: INDEX_BY_KIND.sort, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEY.partition, KeyType: "HASH" },
      { AttributeName: TABLE_KEY.sort, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: INDEX_BY_KIND.name,
        KeySchema: [
          { AttributeName: INDEX_BY_KIND.partition, KeyType: "HASH" },
          { AttributeName: INDEX_BY_KIND.sort, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
  };
}
