/**
 * OData v2 as Exact Online speaks it: filter literals, query strings, the `{"d":…}` envelopes,
 * and `d.__next` paging. (Dates are in dates.ts: Exact's are not UTC.)
 */
import type * as z from "#lib/util/zod-mini";
import { ClientRequestError, UnexpectedResponseError } from "../errors";
import { parseBody } from "../http";
import type { HttpExchange } from "../http";
import { listEnvelopeSchema, singleEnvelopeSchema } from "./schemas";

/** A string literal for `$filter`: quoted, with `'` doubled. */
export function stringLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID_PATTERN.test(value);
}

/** `guid'…'`, for `$filter` and for addressing a record (`Contacts(guid'…')`). */
export function guidLiteral(value: string): string {
  // The value may be anything a caller passed (even an email), so it stays out of the message.
  if (!isGuid(value)) throw new ClientRequestError("exactonline", null, "exactonline: a key or Guid field value is not a Guid");
  return `guid'${value}'`;
}

/**
 * Exact refuses request URLs much over 6,000 characters and has no `$batch`, so a read of many
 * records by key is split into filters of this many `ID eq guid'…'` terms: 80 terms encode to
 * about 4,900 characters, which leaves room for the longest `$select` and the base URL.
 */
export const MAX_KEYS_PER_FILTER = 80;

/** `ID eq guid'a' or ID eq guid'b' …` for one chunk of keys. */
export function keyFilter(keyField: string, ids: readonly string[]): string {
  return ids.map((id) => `${keyField} eq ${guidLiteral(id)}`).join(" or ");
}

export interface QueryOptions {
  select?: readonly string[];
  filter?: string;
  top?: number;
}

/**
 * `?$select=…&$filter=…`, each value percent-encoded (spaces as `%20`: `+` is not a space to
 * every OData server), the `$` names left as Exact documents them.
 */
export function queryString(options: QueryOptions): string {
  const parts: string[] = [];
  if (options.select?.length) parts.push(`$select=${encodeURIComponent(options.select.join(","))}`);
  if (options.filter !== undefined) parts.push(`$filter=${encodeURIComponent(options.filter)}`);
  if (options.top !== undefined) parts.push(`$top=${options.top}`);
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

export interface ODataPage<Row> {
  results: Row[];
  /** Absolute URL of the next page; absent on the last. */
  next: string | undefined;
}

export function parseODataList<Row extends z.ZodMiniType>(row: Row, answer: HttpExchange): ODataPage<z.output<Row>> {
  const { d } = parseBody(listEnvelopeSchema(row), answer);
  return { results: d.results, next: d.__next ?? undefined };
}

export function parseODataSingle<Row extends z.ZodMiniType>(row: Row, answer: HttpExchange): z.output<Row> {
  const body = parseBody(singleEnvelopeSchema(row), answer) as { d: z.output<Row> };
  return body.d;
}

/**
 * Every page from `firstUrl` on, following `d.__next` until a page has none. Page sizes
 * differ per endpoint (60, 1000) and are never assumed.
 */
export async function* followPages<Row>(firstUrl: string, fetchPage: (url: string) => Promise<ODataPage<Row>>): AsyncGenerator<Row[]> {
  let url: string | undefined = firstUrl;
  while (url !== undefined) {
    const page: ODataPage<Row> = await fetchPage(url);
    yield page.results;
    if (page.next === url) {
      throw new UnexpectedResponseError("exactonline", null, "exactonline: __next points at the page just read");
    }
    url = page.next;
  }
}
