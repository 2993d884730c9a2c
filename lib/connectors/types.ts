/**
 * What the sync engine sees of a system: records as plain field maps in the system's own
 * field names (already normalised by the connector: ISO dates, null for absent), addressed
 * by record type and id. Wire formats, auth and limits stay inside each connector.
 */
export type SystemName = "exactonline" | "crmoffice";

export type FieldValue = string | number | boolean | null;
export type Fields = Record<string, FieldValue>;

export interface SystemRecord {
  id: string;
  /** ISO 8601 UTC: when the system last changed the record. */
  modifiedAt: string;
  fields: Fields;
}

export interface Connector {
  readonly system: SystemName;
  /** The record as it is now, or null when the system no longer has it. */
  get(type: string, id: string): Promise<SystemRecord | null>;
  /**
   * The records of these ids that exist, by id (lower-case), in as few calls as the system
   * allows; an id that is gone is simply absent.
   */
  getMany(type: string, ids: readonly string[]): Promise<Map<string, SystemRecord>>;
  /** Records whose `field` equals `value` (strings compared case-insensitively). */
  findBy(type: string, field: string, value: string): Promise<SystemRecord[]>;
  create(type: string, fields: Fields): Promise<SystemRecord>;
  /**
   * Changes only the fields given; returns the record as stored after the write. `current`,
   * when the caller has just read the record, spares a system that replaces whole records
   * (CRMOffice's PUT) a second read.
   */
  update(type: string, id: string, fields: Fields, current?: SystemRecord): Promise<SystemRecord>;
  delete(type: string, id: string): Promise<void>;
}
