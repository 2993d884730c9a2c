/**
 * The CRMOffice connector: contacts and companies as the engine's SystemRecords (nested
 * fields flattened to dotted names), found by `email` / `orgNr`, listed by `modifiedSince`,
 * plus webhook registrations.
 */
import type { Connector, Fields, SystemRecord } from "../types";
import { ClientRequestError, RecordNotFoundError } from "../errors";
import { parseBody } from "../http";
import { toSystemRecord, toWriteBody } from "./mappers";
import { CRMOFFICE_ID_PATTERN } from "./record-types";
import type { CrmOfficeRecordType, CrmOfficeWebhookEvent } from "./record-types";
import { CRMOFFICE_RESOURCES } from "./resources";
import type { CrmOfficeResource } from "./resources";
import { pageSchema, webhookListSchema, webhookSchema } from "./schemas";
import { createCrmOfficeTransport } from "./transport";

export interface CrmOfficeConnectorConfig {
  /** e.g. `https://api.crmoffice.no`, or a sandbox's URL. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  now?: () => number;
}

export interface CrmOfficeWebhook {
  id: string;
  url: string;
  events: string[];
}

export interface CrmOfficeConnector extends Connector {
  readonly system: "crmoffice";
  /** Records modified at or after `sinceIso`, oldest first, one page (up to 200) at a time. */
  listModifiedSince(type: string, sinceIso: string): AsyncGenerator<SystemRecord[]>;
  webhooks: {
    list(): Promise<CrmOfficeWebhook[]>;
    create(webhook: { url: string; events: readonly CrmOfficeWebhookEvent[]; secret: string }): Promise<CrmOfficeWebhook>;
    delete(id: string): Promise<void>;
  };
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** CRMOffice's largest page. */
const PAGE_SIZE = 200;
/** Reads in flight at once for `getMany`. */
const GET_MANY_CONCURRENCY = 8;

function resourceOf(type: string): CrmOfficeResource {
  const resource = CRMOFFICE_RESOURCES[type as CrmOfficeRecordType] as CrmOfficeResource | undefined;
  if (!resource) throw new ClientRequestError("crmoffice", null, `crmoffice: unknown record type ${type}`);
  return resource;
}

/** An id as it may go into a URL path; anything else is refused before a call is made (and never echoed). */
function safeId(id: string): string {
  if (!CRMOFFICE_ID_PATTERN.test(id))
    throw new ClientRequestError("crmoffice", null, "crmoffice: a record id is not in CRMOffice's id format");
  return id;
}

export function createCrmOfficeConnector(config: CrmOfficeConnectorConfig): CrmOfficeConnector {
  const transport = createCrmOfficeTransport({
    baseUrl: config.baseUrl,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    fetch: config.fetch ?? fetch,
    timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    now: config.now ?? Date.now,
  });

  const recordPath = (resource: CrmOfficeResource, id: string) => `${resource.path}/${safeId(id)}`;

  async function get(type: string, id: string): Promise<SystemRecord | null> {
    const resource = resourceOf(type);
    const answer = await transport.send("GET", recordPath(resource, id), { accept: [404] });
    if (answer.response.status === 404) return null;
    return toSystemRecord(resource, parseBody(resource.schema, answer));
  }

  /** Every page of a list query, until `totalCount` records were seen (or a page comes back empty). */
  async function* pages(resource: CrmOfficeResource, filter: Record<string, string>): AsyncGenerator<SystemRecord[]> {
    const schema = pageSchema(resource.schema);
    let seen = 0;
    for (let page = 1; ; page += 1) {
      const query = new URLSearchParams({ ...filter, page: String(page), pageSize: String(PAGE_SIZE) });
      const list = parseBody(schema, await transport.send("GET", `${resource.path}?${query.toString()}`));
      seen += list.items.length;
      yield list.items.map((item) => toSystemRecord(resource, item));
      if (list.items.length === 0 || seen >= list.totalCount) return;
    }
  }

  return {
    system: "crmoffice",
    get,

    /** CRMOffice lists filter by email, orgNr and modifiedSince only: one GET per record, a few at a time. */
    async getMany(type, ids) {
      const found = new Map<string, SystemRecord>();
      const unique = [...new Set(ids)];
      for (let start = 0; start < unique.length; start += GET_MANY_CONCURRENCY) {
        const records = await Promise.all(unique.slice(start, start + GET_MANY_CONCURRENCY).map((id) => get(type, id)));
        for (const record of records) if (record) found.set(record.id.toLowerCase(), record);
      }
      return found;
    },

    async findBy(type, field, value) {
      const resource = resourceOf(type);
      if (field !== resource.findableField) {
        throw new ClientRequestError("crmoffice", null, `crmoffice: cannot find ${type} records by ${field}`);
      }
      const found: SystemRecord[] = [];
      for await (const page of pages(resource, { [field]: value })) found.push(...page);
      return found;
    },

    async create(type, fields: Fields) {
      const resource = resourceOf(type);
      const answer = await transport.send("POST", resource.path, { body: toWriteBody(resource, fields) });
      return toSystemRecord(resource, parseBody(resource.schema, answer));
    },

    /*
     * CRMOffice's PUT replaces every writable field, so the body is the whole record: the
     * caller's `current` (or a fresh read) with the given fields laid over it.
     */
    async update(type, id, fields, current) {
      const resource = resourceOf(type);
      const base = current ?? (await get(type, id));
      if (!base) throw new RecordNotFoundError("crmoffice", 404, `crmoffice: the ${type} to update no longer exists`);
      const answer = await transport.send("PUT", recordPath(resource, id), {
        body: toWriteBody(resource, { ...base.fields, ...fields }),
      });
      return toSystemRecord(resource, parseBody(resource.schema, answer));
    },

    /** Deleting what is already gone is done, not an error: a retried delete must not fail. */
    async delete(type, id) {
      const resource = resourceOf(type);
      await transport.send("DELETE", recordPath(resource, id), { accept: [404] });
    },

    listModifiedSince(type, sinceIso) {
      return pages(resourceOf(type), { modifiedSince: sinceIso });
    },

    webhooks: {
      async list() {
        return parseBody(webhookListSchema, await transport.send("GET", "/webhooks"));
      },
      async create(webhook) {
        return parseBody(webhookSchema, await transport.send("POST", "/webhooks", { body: webhook }));
      },
      async delete(id) {
        await transport.send("DELETE", `/webhooks/${safeId(id)}`, { accept: [404] });
      },
    },
  };
}
