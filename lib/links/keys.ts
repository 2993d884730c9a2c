import type { Side } from "#lib/flows/definition";

/** Key layout of the single table; see the README's data model. */
export const keys = {
  link: (flow: string, linkId: string) => ({ pk: `LINK#${flow}#${linkId}`, sk: "LINK" }),
  reference: (side: Side, type: string, id: string, flow: string) => ({ pk: recordKey(side, type, id), sk: `FLOW#${flow}` }),
  pending: (side: Side, type: string, fingerprint: string) => ({ pk: `PENDING#${side}#${type}#${fingerprint}`, sk: "PENDING" }),
  unsyncable: (side: Side, type: string, id: string, flow: string) => ({ pk: recordKey(side, type, id), sk: `UNSYNCABLE#${flow}` }),
  log: (side: Side, type: string, id: string, at: string, eventId: string) => ({ pk: `LOG#${side}#${type}#${id}`, sk: `${at}#${eventId}` }),
  logPartition: (side: Side, type: string, id: string) => `LOG#${side}#${type}#${id}`,
  recordPartition: (side: Side, type: string, id: string) => recordKey(side, type, id),
};

function recordKey(side: Side, type: string, id: string): string {
  return `REF#${side}#${type}#${id}`;
}

/** Index partitions (`gsi1pk`) for listing by kind. */
export const kinds = {
  links: (flow: string) => `LINKS#${flow}`,
  closedLinks: (flow: string) => `CLOSED#${flow}`,
  unsyncable: (flow: string) => `UNSYNCABLE#${flow}`,
  /** Sync-log decisions of one UTC hour (`2024-05-01T13`), sorted by time: the console's recent activity. */
  decisionsInHour: (hour: string) => `DECISIONS#${hour}`,
};
