/**
 * The Exact Online connector: contacts (crm/Contacts), items (logistics/Items), employees
 * (payroll/Employees, read only) and accounts (crm/Accounts, read) as the engine's
 * SystemRecords, plus what only Exact has: the sync API for polling, `sync/Deleted`, the
 * current division, webhook subscriptions and the rate-limit state. Every call counts against
 * Exact's 60 a minute, so none is spent that the answer does not need.
 */
import type { z } from "zod";
import type { Connector, Fields, SystemRecord } from "../types";
import { ClientRequestError, RecordNotFoundError } from "../errors";
import { toSystemRecord, toWriteBody } from "./mappers";
import { followPages, fromODataDate, guidLiteral, parseODataList, parseODataSingle, queryString, stringLiteral } from "./odata";
import type { ExactCallGovernor } from "./governor";
import type { ExactRateLimit } from "./rate-limit";
import { EXACT_RESOURCES, EXACT_SYNCED_RESOURCES, selectedFields, typeOfDeletedEntity } from "./resources";
import type { ExactRecordType, ExactResource, ExactSyncedType } from "./resources";
import { DELETED_FIELDS, deletedRowSchema, meSchema, syncRowSchema, webhookSubscriptionSchema, wireRecordSchema } from "./schemas";
import { createExactTokenStore } from "./tokens";
import type { ExactOAuthConfig, ExactTokenStore } from "./tokens";
import { createExactTransport } from "./transport";
import type { ExactResponseInfo } from "./transport";

export interface ExactConnectorConfig extends ExactOAuthConfig {
  /** Told of every answer (status and rate-limit state), e.g. by a call governor. */
  onResponse?: (info: ExactResponseInfo) => void;
  /** The token store to use; by default the DynamoDB store built from this same config. */
  tokens?: ExactTokenStore;
  /** The division's call budget shared by all workers: taken before every API call (not token requests). */
  governor?: ExactCallGovernor;
}

/** One row of the sync API: the record and its row version. */
export interface ExactSyncRow {
  timestamp: number;
  record: SystemRecord;
}

export interface ExactSyncPage {
  rows: ExactSyncRow[];
  /** The largest Timestamp seen so far (the one given when nothing came): continue after it. */
  lastTimestamp: number;
}

export interface ExactDeletion {
  timestamp: number;
  type: ExactSyncedType;
  id: string;
  /** ISO 8601, when Exact gives it. */
  deletedAt: string | null;
}

export interface ExactDeletedPage {
  /** Deletions of the types the sync follows; others are skipped (but counted in lastTimestamp). */
  rows: ExactDeletion[];
  lastTimestamp: number;
}

export type ExactWebhookTopic = "Contacts" | "Items";

export interface ExactWebhookSubscription {
  id: string;
  callbackUrl: string;
  topic: string;
}

export interface ExactConnector extends Connector {
  readonly system: "exactonline";
  /** Changed records of `type` after `afterTimestamp` (start with 1), page by page (up to 1000 rows each). */
  syncPages(type: ExactSyncedType, afterTimestamp: number): AsyncGenerator<ExactSyncPage>;
  /** Deletions after `afterTimestamp`, page by page. */
  deletedPages(afterTimestamp: number): AsyncGenerator<ExactDeletedPage>;
  /** The division of the authorised user (`current/Me`). */
  currentDivision(): Promise<number>;
  webhookSubscriptions: {
    list(): Promise<ExactWebhookSubscription[]>;
    /** Exact first POSTs an empty body to the callback, which must answer 2xx. */
    create(subscription: { callbackUrl: string; topic: ExactWebhookTopic }): Promise<ExactWebhookSubscription>;
    delete(id: string): Promise<void>;
  };
  /** The rate-limit windows as the latest answers reported them. */
  rateLimit(): ExactRateLimit;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function resourceOf(type: string): ExactResource {
  const resource = EXACT_RESOURCES[type as ExactRecordType] as ExactResource | undefined;
  if (!resource) throw new ClientRequestError("exactonline", null, `exactonline: unknown record type ${type}`);
  return resource;
}

function writableResourceOf(type: string): ExactResource {
  const resource = resourceOf(type);
  if (!resource.writable) {
    throw new ClientRequestError("exactonline", null, `exactonline: ${resource.endpoint} cannot be written through the API`);
  }
  return resource;
}

export function createExactConnector(config: ExactConnectorConfig): ExactConnector {
  const baseUrl = config.baseUrl.replace(/\/+$/, "");
  const divisionUrl = `${baseUrl}/api/v1/${config.division}`;
  const now = config.now ?? Date.now;
  const transport = createExactTransport({
    baseUrl,
    tokens: config.tokens ?? createExactTokenStore(config),
    fetch: config.fetch ?? fetch,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    now,
    onResponse: config.onResponse,
    governor: config.governor,
  });

  const recordUrl = (resource: ExactResource, id: string, query = "") => `${divisionUrl}/${resource.endpoint}(${guidLiteral(id)})${query}`;

  async function get(type: string, id: string): Promise<SystemRecord | null> {
    const resource = resourceOf(type);
    const answer = await transport.send("GET", recordUrl(resource, id, queryString({ select: selectedFields(resource) })), {
      accept: [404],
    });
    if (answer.response.status === 404) return null;
    return toSystemRecord(resource, parseODataSingle(wireRecordSchema(resource.fields), answer));
  }

  /** The rows of every page from `firstUrl` on. */
  function pagesOf<Row extends z.ZodType>(row: Row, firstUrl: string): AsyncGenerator<z.output<Row>[]> {
    return followPages(firstUrl, async (url) => parseODataList(row, await transport.send("GET", url)));
  }

  const connector: ExactConnector = {
    system: "exactonline",
    rateLimit: () => transport.rateLimit(),
    get,

    async findBy(type, field, value) {
      const resource = resourceOf(type);
      const kind = field === "ID" ? "guid" : resource.fields[field];
      if (kind !== "string" && kind !== "guid") {
        throw new ClientRequestError("exactonline", null, `exactonline: cannot find ${type} records by ${field}`);
      }
      const literal = kind === "guid" ? guidLiteral(value) : stringLiteral(value);
      const schema = wireRecordSchema(resource.fields);
      const url = `${divisionUrl}/${resource.endpoint}${queryString({
        select: selectedFields(resource),
        filter: `${field} eq ${literal}`,
      })}`;
      const found: SystemRecord[] = [];
      for await (const rows of pagesOf(schema, url)) {
        found.push(...rows.map((row) => toSystemRecord(resource, row)));
      }
      return found;
    },

    async create(type, fields: Fields) {
      const resource = writableResourceOf(type);
      const answer = await transport.send("POST", `${divisionUrl}/${resource.endpoint}`, {
        body: toWriteBody(resource, fields),
      });
      return toSystemRecord(resource, parseODataSingle(wireRecordSchema(resource.fields), answer));
    },

    /*
     * PUT changes only the fields sent. It asks for the stored record back
     * (`Prefer: return=representation`): one call, and the answer carries Exact's own
     * Modified and derived fields (FullName), which a merge of `current` with the fields
     * could not know. Should Exact answer 204 all the same, the record is read (a second call).
     */
    async update(type, id, fields) {
      const resource = writableResourceOf(type);
      const answer = await transport.send("PUT", recordUrl(resource, id), {
        body: toWriteBody(resource, fields),
        returnRepresentation: true,
      });
      if (answer.response.status === 204 || answer.bodyText.trim() === "") {
        const stored = await get(type, id);
        if (!stored) throw new RecordNotFoundError("exactonline", 404, `exactonline: the ${type} was deleted right after the update`);
        return stored;
      }
      return toSystemRecord(resource, parseODataSingle(wireRecordSchema(resource.fields), answer));
    },

    /** Deleting what is already gone is done, not an error: a retried delete must not fail. */
    async delete(type, id) {
      const resource = writableResourceOf(type);
      await transport.send("DELETE", recordUrl(resource, id), { accept: [404] });
    },

    async *syncPages(type, afterTimestamp) {
      const resource = EXACT_SYNCED_RESOURCES[type];
      const schema = syncRowSchema(resource.fields);
      const url = `${divisionUrl}/${resource.syncEndpoint}${queryString({
        select: [...selectedFields(resource), "Timestamp"],
        filter: `Timestamp gt ${afterTimestamp}`,
      })}`;
      let lastTimestamp = afterTimestamp;
      for await (const rows of pagesOf(schema, url)) {
        const page = rows.map((row) => ({ timestamp: row.Timestamp, record: toSystemRecord(resource, row) }));
        lastTimestamp = Math.max(lastTimestamp, ...page.map((row) => row.timestamp));
        yield { rows: page, lastTimestamp };
      }
    },

    async *deletedPages(afterTimestamp) {
      const url = `${divisionUrl}/sync/Deleted${queryString({
        select: DELETED_FIELDS,
        filter: `Timestamp gt ${afterTimestamp}`,
      })}`;
      let lastTimestamp = afterTimestamp;
      for await (const rows of pagesOf(deletedRowSchema, url)) {
        const deletions: ExactDeletion[] = [];
        for (const row of rows) {
          lastTimestamp = Math.max(lastTimestamp, row.Timestamp);
          const type = typeOfDeletedEntity(row.EntityType);
          if (!type) continue;
          deletions.push({
            timestamp: row.Timestamp,
            type,
            id: row.EntityKey,
            deletedAt: row.DeletedDate ? fromODataDate(row.DeletedDate) : null,
          });
        }
        yield { rows: deletions, lastTimestamp };
      }
    },

    async currentDivision() {
      const answer = await transport.send("GET", `${baseUrl}/api/v1/current/Me${queryString({ select: ["CurrentDivision"] })}`);
      return parseODataSingle(meSchema, answer).CurrentDivision;
    },

    webhookSubscriptions: {
      async list() {
        const url = `${divisionUrl}/webhooks/WebhookSubscriptions${queryString({ select: ["ID", "CallbackURL", "Topic"] })}`;
        const subscriptions: ExactWebhookSubscription[] = [];
        for await (const rows of pagesOf(webhookSubscriptionSchema, url)) {
          subscriptions.push(...rows.map((row) => ({ id: row.ID, callbackUrl: row.CallbackURL, topic: row.Topic })));
        }
        return subscriptions;
      },
      async create({ callbackUrl, topic }) {
        const answer = await transport.send("POST", `${divisionUrl}/webhooks/WebhookSubscriptions`, {
          body: { CallbackURL: callbackUrl, Topic: topic },
        });
        const row = parseODataSingle(webhookSubscriptionSchema, answer);
        return { id: row.ID, callbackUrl: row.CallbackURL, topic: row.Topic };
      },
      async delete(id) {
        await transport.send("DELETE", `${divisionUrl}/webhooks/WebhookSubscriptions(${guidLiteral(id)})`, {
          accept: [404],
        });
      },
    },
  };
  return connector;
}
