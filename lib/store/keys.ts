/**
 * The single table's key layout, every item kind in one place (the README's data model lists
 * the same). Each kind's partition key starts with its own prefix, so a role can be limited to
 * the kinds it may touch with `dynamodb:LeadingKeys` (serverless.yml; a test holds the two
 * together).
 */
import type { RecordSystem } from "#lib/events/change-event";

/** The partition-key prefix of each item kind. */
export const KEY_PREFIXES = {
  link: "LINK#",
  /** A record's references (one per flow) and its unsyncable marks share the record's partition. */
  record: "REF#",
  pending: "PENDING#",
  log: "LOG#",
  cursor: "CURSOR#",
  failure: "FAILURE#",
  token: "TOKEN#",
  budget: "BUDGET#",
  /** A webhook delivery already taken (its HashCode or event id): a replayed copy enqueues nothing. */
  delivery: "DELIVERY#",
  /** A one-time link an operator was given to connect Exact (`syncctl connect exactonline`). */
  ticket: "TICKET#",
  /** An OAuth `state` issued to the browser that followed a ticket, single-use. */
  oauthState: "OAUTHSTATE#",
} as const;

export type KeyKind = keyof typeof KEY_PREFIXES;

export interface ItemKey {
  pk: string;
  sk: string;
}

const recordPartition = (side: RecordSystem, type: string, id: string) => `${KEY_PREFIXES.record}${side}#${type}#${id}`;
const failurePartition = (correlationId: string) => `${KEY_PREFIXES.failure}${correlationId}`;
const logPartition = (side: RecordSystem, type: string, id: string) => `${KEY_PREFIXES.log}${side}#${type}#${id}`;

export const keys = {
  link: (flow: string, linkId: string): ItemKey => ({ pk: `${KEY_PREFIXES.link}${flow}#${linkId}`, sk: "LINK" }),
  /** Created with `attribute_not_exists`: the guard that a record has at most one link per flow. */
  reference: (side: RecordSystem, type: string, id: string, flow: string): ItemKey => ({
    pk: recordPartition(side, type, id),
    sk: `FLOW#${flow}`,
  }),
  unsyncable: (side: RecordSystem, type: string, id: string, flow: string): ItemKey => ({
    pk: recordPartition(side, type, id),
    sk: `UNSYNCABLE#${flow}`,
  }),
  recordPartition,
  /** A create in flight, found by the fingerprint of the record it makes. */
  pending: (side: RecordSystem, type: string, fingerprint: string): ItemKey => ({
    pk: `${KEY_PREFIXES.pending}${side}#${type}#${fingerprint}`,
    sk: "PENDING",
  }),
  log: (side: RecordSystem, type: string, id: string, at: string, eventId: string): ItemKey => ({
    pk: logPartition(side, type, id),
    sk: `${at}#${eventId}`,
  }),
  logPartition,
  cursor: (name: string): ItemKey => ({ pk: `${KEY_PREFIXES.cursor}${name}`, sk: "CURSOR" }),
  /** Every failure of one change (correlation id) shares a partition, sorted by time. */
  failure: (correlationId: string, at: string): ItemKey => ({ pk: failurePartition(correlationId), sk: at }),
  failurePartition,
  token: (division: number): ItemKey => ({ pk: `${KEY_PREFIXES.token}exactonline#${division}`, sk: "TOKEN" }),
  delivery: (system: RecordSystem, deliveryId: string): ItemKey => ({
    pk: `${KEY_PREFIXES.delivery}${system}#${deliveryId}`,
    sk: "DELIVERY",
  }),
  /** Keyed by the ticket's hash: the table never holds a usable ticket. */
  ticket: (ticketHash: string): ItemKey => ({ pk: `${KEY_PREFIXES.ticket}${ticketHash}`, sk: "TICKET" }),
  oauthState: (state: string): ItemKey => ({ pk: `${KEY_PREFIXES.oauthState}${state}`, sk: "STATE" }),
  /** `label`: the window's start, `yyyy-mm-ddThh:mm` for a minute, `yyyy-mm-dd` for a day. */
  budget: (division: number, window: "minute" | "day", label: string): ItemKey => ({
    pk: `${KEY_PREFIXES.budget}exactonline#${division}#${window}#${label}`,
    sk: "BUDGET",
  }),
};

/** Partitions of the `byKind` index (`gsi1pk`), for listing items of one kind. */
export const kinds = {
  links: (flow: string) => `LINKS#${flow}`,
  closedLinks: (flow: string) => `CLOSED#${flow}`,
  unsyncable: (flow: string) => `UNSYNCABLE#${flow}`,
  failures: "FAILURES",
  /** Sync-log decisions of one UTC hour (`2024-05-01T13`), sorted by time: the console's recent activity. */
  decisionsInHour: (hour: string) => `DECISIONS#${hour}`,
};
