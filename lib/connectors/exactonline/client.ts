/**
 * The Exact Online connector: contacts (crm/Contacts), items (logistics/Items), employees
 * (payroll/Employees, read only) and accounts (crm/Accounts, read) as the engine's
 * SystemRecords, plus what only Exact has: the sync API for polling, `sync/Deleted`, the
 * current division, webhook subscriptions and the rate-limit state. Every call counts against
 * Exact's 60 a minute, so none is spent that the answer does not need.
 */
import type * as z from "#lib/util/zod-mini";
import type { Connector, Fields, SystemRecord } from "../types";
import { ClientRequestError, RecordNotFoundError } from "../errors";
import { fromExactDate } from "./dates";
import { toSystemRecord, toWriteBody } from "./mappers";
import {
  followPages,
  guidLiteral,
  keyFilter,
  MAX_KEYS_PER_FILTER,
  parseODataList,
  parseODataSingle,
  queryString,
  stringLiteral,
} from "./odata";
import type { ExactCallGovernor } from "./governor";
import type { ExactRateLimit } from "./rate-limit";
import { EXACT_KEY_FIELD, EXACT_RECORD_TYPES, typeOfDeletedEntity } from "./record-types";
import type { ExactRecordType, ExactSyncedType, ExactWebhookTopic } from "./record-types";
import { exactResource, exactSyncedResource, selectedFields } from "./resources";
import type { ExactResource } from "./resources";
import {
  createdKeySchema,
  DELETED_FIELDS,
  deletedRowSchema,
  divisionSchema,
  meSchema,
  syncRowSchema,
  webhookSubscriptionSchema,
  wireRecordSchema,
} from "./schemas";
import { createExactTokenStore } from "./tokens";
import type { TokenCipher } from "./token-cipher";
import type { ExactOAuthConfig, ExactTokenStore } from "./tokens";
import { createExactTransport } from "./transport";
import type { ExactResponseInfo } from "./transport";

export interface ExactConnectorConfig extends Omit<ExactOAuthConfig, "cipher"> {
  /** Told of every answer (status and rate-limit state), e.g. by a call governor. */
  onResponse?: (info: ExactResponseInfo) => void;
  /** The token store to use; by default the DynamoDB store built from this same config (and `cipher`). */
  tokens?: ExactTokenStore;
  cipher?: TokenCipher;
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

/** The authorised user and the division the tokens open (`current/Me`). */
export interface ExactCurrentUser {
  userId: string;
  division: number;
}

export type { ExactWebhookTopic };

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
  /** The authorised user and their current division (`current/Me`). */
  currentUser(): Promise<ExactCurrentUser>;
  /**
   * The configured division as `system/Divisions` describes it, or null when the tokens do not
   * reach it. `movedAt`: when it was last moved to another database (ISO UTC), which renumbers
   * every sync Timestamp from 1, so cursors taken before it are meaningless.
   */
  division(): Promise<{ code: number; movedAt: string | null } | null>;
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
  if (!Object.hasOwn(EXACT_RECORD_TYPES, type))
    throw new ClientRequestError("exactonline", null, `exactonline: unknown record type ${type}`);
  return exactResource(type as ExactRecordType);
}

function writableResourceOf(type: string): ExactResource {
  const resource = resourceOf(type);
  if (!resource.writable) {
    throw new ClientRequestError("exactonline", null, `exactonline: ${resource.endpoint} cannot be written through the API`);
  }
  return resource;
}

function requireCipher(cipher: TokenCipher | undefined): TokenCipher {
  if (!cipher) throw new Error("exactonline: the token store needs a cipher: tokens are never stored in clear");
  return cipher;
}

/** Splits `items` into chunks of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

export function createExactConnector(config: ExactConnectorConfig): ExactConnector {
  const baseUrl = config.baseUrl.replace(/\/+$/, "");
  const divisionUrl = `${baseUrl}/api/v1/${config.division}`;
  const now = config.now ?? Date.now;
  const transport = createExactTransport({
    baseUrl,
    tokens: config.tokens ?? createExactTokenStore({ ...config, cipher: requireCipher(config.cipher) }),
    fetch: config.fetch ?? fetch,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    now,
    onResponse: config.onResponse,
    governor: config.governor,
  });

  const recordUrl = (resource: ExactResource, id: string) => `${divisionUrl}/${resource.endpoint}(${guidLiteral(id)})`;

  /** The rows of every page from `firstUrl` on. */
  function pagesOf<Row extends z.ZodMiniType>(row: Row, firstUrl: string): AsyncGenerator<z.output<Row>[]> {
    return followPages(firstUrl, async (url) => parseODataList(row, await transport.send("GET", url)));
  }

  /** Every record of `resource` matching `filter`, through the list endpoint. */
  async function list(resource: ExactResource, filter: string): Promise<SystemRecord[]> {
    const url = `${divisionUrl}/${resource.endpoint}${queryString({ select: selectedFields(resource), filter })}`;
    const found: SystemRecord[] = [];
    for await (const rows of pagesOf(wireRecordSchema(resource.fields), url))
      found.push(...rows.map((row) => toSystemRecord(resource, row)));
    return found;
  }

  /*
   * Records are read with a filtered list query, never by key: a by-key GET of a record that was
   * deleted meanwhile is a 404, and more than ten 4xx answers an hour on one endpoint block the
   * app there for an hour. A filtered list answers an empty page instead, and counts nothing.
   */
  async function getMany(type: string, ids: readonly string[]): Promise<Map<string, SystemRecord>> {
    const resource = resourceOf(type);
    const found = new Map<string, SystemRecord>();
    for (const chunk of chunks([...new Set(ids.map((id) => id.toLowerCase()))], MAX_KEYS_PER_FILTER)) {
      for (const record of await list(resource, keyFilter(EXACT_KEY_FIELD, chunk))) found.set(record.id, record);
    }
    return found;
  }

  async function get(type: string, id: string): Promise<SystemRecord | null> {
    return (await getMany(type, [id])).get(id.toLowerCase()) ?? null;
  }

  const connector: ExactConnector = {
    system: "exactonline",
    rateLimit: () => transport.rateLimit(),
    get,
    getMany,

    async findBy(type, field, value) {
      const resource = resourceOf(type);
      const kind = field === EXACT_KEY_FIELD ? "guid" : resource.fields[field];
      if (kind !== "string" && kind !== "guid") {
        throw new ClientRequestError("exactonline", null, `exactonline: cannot find ${type} records by ${field}`);
      }
      const literal = kind === "guid" ? guidLiteral(value) : stringLiteral(value);
      return list(resource, `${field} eq ${literal}`);
    },

    /*
     * Asks for the stored record back (`Prefer: return=representation`). Without it, or should an
     * intermediary drop the header, Exact's 201 holds nothing but the new `ID`: the record is then
     * read once, so a thin answer never turns a create that succeeded into a failure.
     */
    async create(type, fields: Fields) {
      const resource = writableResourceOf(type);
      const answer = await transport.send("POST", `${divisionUrl}/${resource.endpoint}`, {
        body: toWriteBody(resource, fields),
        returnRepresentation: true,
      });
      const created = parseODataSingle(createdKeySchema, answer);
      if (created.Modified) return toSystemRecord(resource, parseODataSingle(wireRecordSchema(resource.fields), answer));
      const stored = await get(type, created.ID);
      if (!stored) throw new RecordNotFoundError("exactonline", 404, `exactonline: the ${type} was deleted right after it was created`);
      return stored;
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
      const resource = exactSyncedResource(type);
      const schema = syncRowSchema(resource.fields);
      // The Int64 suffix, as Exact's own sync sample writes it: safe for any row version.
      const url = `${divisionUrl}/${resource.syncFeed}${queryString({
        select: [...selectedFields(resource), "Timestamp"],
        filter: `Timestamp gt ${afterTimestamp}L`,
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
        filter: `Timestamp gt ${afterTimestamp}L`,
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
            id: row.EntityKey.toLowerCase(),
            deletedAt: row.DeletedDate ? fromExactDate(row.DeletedDate) : null,
          });
        }
        yield { rows: deletions, lastTimestamp };
      }
    },

    async currentUser() {
      const answer = await transport.send("GET", `${baseUrl}/api/v1/current/Me${queryString({ select: ["CurrentDivision", "UserID"] })}`);
      const me = parseODataSingle(meSchema, answer);
      return { userId: me.UserID.toLowerCase(), division: me.CurrentDivision };
    },

    async division() {
      const url = `${divisionUrl}/system/Divisions${queryString({ select: ["Code", "DivisionMoveDate"], filter: `Code eq ${config.division}` })}`;
      const [division] = parseODataList(divisionSchema, await transport.send("GET", url)).results;
      if (!division) return null;
      return { code: division.Code, movedAt: division.DivisionMoveDate ? fromExactDate(division.DivisionMoveDate) : null };
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
          returnRepresentation: true,
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
