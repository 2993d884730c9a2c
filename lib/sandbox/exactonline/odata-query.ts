/**
 * A collection GET with OData query options, paged the way Exact pages: at most a page of
 * rows, and a `__next` link that keeps the other options and continues with `$skiptoken`.
 *
 * Ordinary endpoints order by their key (ID) unless `$orderby` is given; their `__next` carries
 * `$skiptoken=guid'<last ID>'` (robust against rows deleted between pages). Under
 * `$orderby` the continuation is positional (`$skip`), since a key alone cannot mark a
 * place in another order. Sync endpoints order by Timestamp and continue after the last one;
 * they require `$select` (not `*`) and a `$filter` on Timestamp, and refuse `$orderby`.
 */
import { ExactApiError } from "./errors";
import { fieldValue, padded } from "./model";
import type { EntityDef, Row } from "./model";
import { filterFields, matchesFilter, parseFilter } from "./odata-filter";
import type { FilterExpr } from "./odata-filter";
import { serializeRecord } from "./serialize";
import type { WireFormat } from "./serialize";
import { isGuid } from "./write-body";

export const ORDINARY_PAGE_SIZE = 60;
export const SYNC_PAGE_SIZE = 1000;

export type CollectionMode = "ordinary" | "sync";

interface OrderTerm {
  field: string;
  descending: boolean;
}

interface ListOptions {
  filter?: FilterExpr;
  select?: string[];
  top?: number;
  skip: number;
  orderBy: OrderTerm[];
  skipToken?: string | number;
}

function parseCount(name: string, value: string | null): number | undefined {
  if (value === null) return undefined;
  if (!/^\d+$/.test(value)) throw new ExactApiError(400, `Invalid ${name}: '${value}' is not a non-negative integer.`);
  return Number(value);
}

function noSuchProperty(field: string, entity: EntityDef): ExactApiError {
  return new ExactApiError(400, `No property '${field}' exists in type '${entity.odataType}'.`);
}

function parseSelect(value: string | null, entity: EntityDef, mode: CollectionMode): string[] | undefined {
  if (value === null || value.trim() === "") {
    if (mode === "sync") throw new ExactApiError(400, "$select is required on sync endpoints.");
    return undefined;
  }
  const fields = value.split(",").map((part) => part.trim());
  if (fields.includes("*")) {
    if (mode === "sync") throw new ExactApiError(400, "$select=* is not supported on sync endpoints; name the fields.");
    return undefined;
  }
  for (const field of fields) if (!entity.fields[field]) throw noSuchProperty(field, entity);
  return fields;
}

/** `$select` on a single-record GET (or `current/Me`). */
export function selectOption(params: URLSearchParams, entity: EntityDef): string[] | undefined {
  return parseSelect(params.get("$select"), entity, "ordinary");
}

function parseOrderBy(value: string | null, entity: EntityDef, mode: CollectionMode): OrderTerm[] {
  if (value === null || value.trim() === "") return [];
  if (mode === "sync") throw new ExactApiError(400, "$orderby is not supported on sync endpoints; rows come in Timestamp order.");
  return value.split(",").map((part) => {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+(asc|desc))?\s*$/.exec(part);
    if (!match?.[1]) throw new ExactApiError(400, `Invalid $orderby: '${part.trim()}'.`);
    if (!entity.fields[match[1]]) throw noSuchProperty(match[1], entity);
    return { field: match[1], descending: match[2] === "desc" };
  });
}

function parseSkipToken(value: string | null, entity: EntityDef, mode: CollectionMode): string | number | undefined {
  if (value === null) return undefined;
  if (mode === "sync" || entity.fields[entity.key]?.type !== "Edm.Guid") {
    const match = /^(\d+)L?$/.exec(value);
    if (!match) throw new ExactApiError(400, `Invalid $skiptoken: '${value}'.`);
    return Number(match[1]);
  }
  const match = /^guid'([^']*)'$/.exec(value);
  if (!match?.[1] || !isGuid(match[1])) throw new ExactApiError(400, `Invalid $skiptoken: '${value}'.`);
  return match[1].toLowerCase();
}

function parseListOptions(params: URLSearchParams, entity: EntityDef, mode: CollectionMode): ListOptions {
  const filterText = params.get("$filter");
  const filter = filterText !== null && filterText.trim() !== "" ? parseFilter(filterText, entity) : undefined;
  if (mode === "sync" && !(filter && filterFields(filter).includes("Timestamp"))) {
    throw new ExactApiError(400, "A $filter on Timestamp is required on sync endpoints (e.g. Timestamp gt 1).");
  }
  const options: ListOptions = {
    filter,
    select: parseSelect(params.get("$select"), entity, mode),
    top: parseCount("$top", params.get("$top")),
    skip: parseCount("$skip", params.get("$skip")) ?? 0,
    orderBy: parseOrderBy(params.get("$orderby"), entity, mode),
    skipToken: parseSkipToken(params.get("$skiptoken"), entity, mode),
  };
  if (options.skipToken !== undefined && options.orderBy.length > 0) {
    throw new ExactApiError(400, "$skiptoken cannot be combined with $orderby.");
  }
  return options;
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  // Nulls sort first, as in SQL Server.
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "string" && typeof b === "string") {
    const left = a.toLowerCase();
    const right = b.toLowerCase();
    return left < right ? -1 : left > right ? 1 : 0;
  }
  return Number(a) - Number(b);
}

/** A value as Exact's database orders it: fixed-width strings with their padding (so codes sort as numbers). */
function sortValue(row: Row, field: string, entity: EntityDef): unknown {
  const def = entity.fields[field];
  if (!def) return row[field];
  const value = fieldValue(row, field, def);
  return def.fixedWidth && typeof value === "string" ? padded(value, def.fixedWidth) : value;
}

function sortRecords(records: Row[], entity: EntityDef, options: ListOptions, mode: CollectionMode): Row[] {
  const terms: OrderTerm[] =
    mode === "sync" ? [{ field: "Timestamp", descending: false }] : [...options.orderBy, { field: entity.key, descending: false }];
  return [...records].sort((a, b) => {
    for (const term of terms) {
      const difference = compareValues(sortValue(a, term.field, entity), sortValue(b, term.field, entity));
      if (difference !== 0) return term.descending ? -difference : difference;
    }
    return 0;
  });
}

function afterSkipToken(records: Row[], token: string | number, key: string): Row[] {
  return typeof token === "number"
    ? records.filter((record) => Number(record[key]) > token)
    : records.filter((record) => String(record[key]) > token);
}

/** Query string in Exact's style: option names unescaped, values percent-encoded where needed. */
function queryString(pairs: Array<[string, string]>): string {
  return pairs.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("&");
}

export interface CollectionRequest {
  records: Row[];
  entity: EntityDef;
  /** The request URL, absolute; `__next` is built on it. */
  url: URL;
  mode: CollectionMode;
  uriOf: (record: Row) => string;
  format: WireFormat;
}

/** The `{"d":{"results":[…],"__next"?}}` answer to a collection GET. */
export function queryCollection(request: CollectionRequest): { d: { results: unknown[]; __next?: string } } {
  const { entity, url, mode } = request;
  const options = parseListOptions(url.searchParams, entity, mode);
  const { filter } = options;
  const filtered = filter ? request.records.filter((record) => matchesFilter(filter, record)) : request.records;
  const key = mode === "sync" ? "Timestamp" : entity.key;
  let rows = sortRecords(filtered, entity, options, mode);
  if (options.skipToken !== undefined) rows = afterSkipToken(rows, options.skipToken, key);
  rows = rows.slice(options.skip);
  if (options.top !== undefined) rows = rows.slice(0, options.top);
  const pageSize = mode === "sync" ? SYNC_PAGE_SIZE : ORDINARY_PAGE_SIZE;
  const page = rows.slice(0, pageSize);
  const results = page.map((record) => serializeRecord(record, entity, request.uriOf(record), request.format, options.select));
  const last = page.at(-1);
  if (rows.length <= page.length || !last) return { d: { results } };

  const kept = [...url.searchParams].filter(([name]) => !["$top", "$skip", "$skiptoken"].includes(name));
  if (options.top !== undefined) kept.push(["$top", String(options.top - page.length)]);
  if (mode === "sync") kept.push(["$skiptoken", `${String(last.Timestamp)}L`]);
  else if (options.orderBy.length > 0) kept.push(["$skip", String(options.skip + page.length)]);
  else if (typeof last[key] === "string") kept.push(["$skiptoken", `guid'${last[key]}'`]);
  else kept.push(["$skiptoken", String(last[key])]);
  return { d: { results, __next: `${url.origin}${url.pathname}?${queryString(kept)}` } };
}
