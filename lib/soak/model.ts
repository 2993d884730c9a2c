/**
 * What both systems must hold at the end, kept by the soak as it makes its changes. It is the
 * flows' rules written down independently of the product's code (briefs/dataflows.md): the
 * fields each flow maps (by the soak's own table, not lib/flows), latest edit wins per field
 * with the systems' own modification times, employees flow one way with Exact owning every
 * field (a CRMOffice edit stays in CRMOffice until Exact changes that field), a delete unlinks
 * and keeps the other record, and records the rules cannot sync are unsyncable.
 *
 * Each entity (one person, one item, one employee and the records the workload made around it)
 * keeps the possible *worlds* it can be in. Almost always there is one. Where the rules allow
 * more than one end (two edits of one field in the same millisecond; an edit that overlapped a
 * write of the product's, which no API lets anyone order), the entity keeps each world, and the
 * first time the soak finds the systems settled in one of them it keeps that one: the systems
 * may end in any allowed world, never in one the rules do not allow.
 */
export type Side = "exactonline" | "crmoffice";
export const SIDES: readonly Side[] = ["exactonline", "crmoffice"];
export const otherSide = (side: Side): Side => (side === "exactonline" ? "crmoffice" : "exactonline");

export type FlowName = "contacts" | "items" | "employees";
/** The kind of record in its system. */
export type Kind = "contact" | "employee" | "item" | "company";

export type Value = string | null;
/** Values by the flow's row names (firstName, …; name, code). */
export type Values = Record<string, Value>;

/** The rows of each flow and each side's field for them, as dataflows.md tables them. */
export const FLOW_FIELDS: Record<
  FlowName,
  { rows: readonly string[]; exactonline: Record<string, string>; crmoffice: Record<string, string> }
> = {
  contacts: {
    rows: ["firstName", "lastName", "phone", "mobile", "email"],
    exactonline: { firstName: "FirstName", lastName: "LastName", phone: "Phone", mobile: "Mobile", email: "Email" },
    crmoffice: { firstName: "givenName", lastName: "familyName", phone: "directPhone", mobile: "mobilePhone", email: "email" },
  },
  employees: {
    rows: ["firstName", "lastName", "phone", "mobile", "email"],
    // The work phone, mobile and email: an employee's Phone, Mobile and Email are private.
    exactonline: { firstName: "FirstName", lastName: "LastName", phone: "BusinessPhone", mobile: "BusinessMobile", email: "BusinessEmail" },
    crmoffice: { firstName: "givenName", lastName: "familyName", phone: "directPhone", mobile: "mobilePhone", email: "email" },
  },
  items: {
    rows: ["name", "code"],
    exactonline: { name: "Description", code: "Code" },
    crmoffice: { name: "name", code: "orgNr" },
  },
};

export const KINDS: Record<FlowName, Record<Side, Kind>> = {
  contacts: { exactonline: "contact", crmoffice: "contact" },
  employees: { exactonline: "employee", crmoffice: "contact" },
  items: { exactonline: "item", crmoffice: "company" },
};

/** Exact refuses an Item Description over 60 characters; the sync cuts it. */
export const EXACT_DESCRIPTION_MAX = 60;

/** Surrounding blanks and empty strings mean nothing to a user; emails compare case-insensitively. */
export function normalize(row: string, value: unknown): Value {
  if (value === null || value === undefined) return null;
  const text = String(value).trim();
  if (text === "") return null;
  return row === "email" ? text.toLowerCase() : text;
}

/** A record's values by row, read from its system's fields. */
export function valuesOf(flow: FlowName, side: Side, fields: Record<string, unknown>): Values {
  const spec = FLOW_FIELDS[flow];
  return Object.fromEntries(spec.rows.map((row) => [row, normalize(row, fields[spec[side][row] as string])]));
}

/** The system's fields for some row values. */
export function fieldsOf(flow: FlowName, side: Side, values: Values): Record<string, Value> {
  const spec = FLOW_FIELDS[flow];
  return Object.fromEntries(Object.entries(values).map(([row, value]) => [spec[side][row] as string, value]));
}

/** What `target` holds once `value` of `row` has crossed to it. */
export function crossed(flow: FlowName, target: Side, row: string, value: Value): Value {
  if (flow === "items" && row === "name" && target === "exactonline" && value !== null && value.length > EXACT_DESCRIPTION_MAX) {
    return normalize(row, value.slice(0, EXACT_DESCRIPTION_MAX).trimEnd());
  }
  return value;
}

/** Which way a flow carries edits. */
export function carries(flow: FlowName, from: Side): boolean {
  return flow !== "employees" || from === "exactonline";
}

export interface ExpectedRecord {
  side: Side;
  kind: Kind;
  /** Known once the soak made the record, or found the one the product made. */
  id?: string;
  /** The merge key (email, code): how a record the product made is found. */
  key: string;
  values: Values;
  /** The flow in which the product must have recorded it as unsyncable. */
  unsyncableIn?: FlowName;
  /** The system's modification time (epoch ms) of the latest write the soak made to it. */
  modifiedAt?: number;
}

export interface World {
  /** The linked pair, both sides, or none. */
  pair: Partial<Record<Side, ExpectedRecord>>;
  /** Records of this entity that are in no link: kept after a delete, or unsyncable. */
  loose: ExpectedRecord[];
  /** What makes this world differ from its siblings, for the report. */
  note?: string;
}

export interface HistoryEntry {
  /** ISO time the soak logged it. */
  at: string;
  what: string;
  side?: Side;
  id?: string;
  values?: Values;
  /** The system's own modification time of the write, ISO. */
  modifiedAt?: string;
}

const cloneRecord = (record: ExpectedRecord): ExpectedRecord => ({ ...record, values: { ...record.values } });
const cloneWorld = (world: World): World => ({
  pair: Object.fromEntries(Object.entries(world.pair).map(([side, record]) => [side, cloneRecord(record)])),
  loose: world.loose.map(cloneRecord),
  ...(world.note ? { note: world.note } : {}),
});

/** The later write wins a field both sides set; null never wipes a value on a new link. */
export function mergeNewLink(
  flow: FlowName,
  a: { side: Side; values: Values; modifiedAt: number },
  b: { side: Side; values: Values; modifiedAt: number },
): Record<Side, Values> | "tie" {
  const merged: Record<Side, Values> = { exactonline: {}, crmoffice: {} } as Record<Side, Values>;
  let tie = false;
  for (const row of FLOW_FIELDS[flow].rows) {
    const va = a.values[row] ?? null;
    const vb = b.values[row] ?? null;
    let winner: { side: Side; value: Value };
    if (va !== null && vb !== null && crossed(flow, b.side, row, va) !== vb && crossed(flow, a.side, row, vb) !== va) {
      if (Math.abs(a.modifiedAt - b.modifiedAt) <= TIE_MS) tie = true;
      winner = a.modifiedAt > b.modifiedAt ? { side: a.side, value: va } : { side: b.side, value: vb };
    } else {
      winner = va !== null ? { side: a.side, value: va } : { side: b.side, value: vb };
    }
    merged[winner.side][row] = winner.value;
    merged[otherSide(winner.side)][row] = winner.value === null ? null : crossed(flow, otherSide(winner.side), row, winner.value);
  }
  return tie ? "tie" : merged;
}

/**
 * Writes of two systems this close together (ms) have no order the soak can rely on: Exact's
 * clock and CRMOffice's are read separately, and CRMOffice moves its clock on by a millisecond
 * for writes in the same millisecond.
 */
export const TIE_MS = 2;

/**
 * Two creates this close together (ms) are both in their systems before the product looks at
 * either (every webhook is delivered 150 ms late, stack.ts): the product sees the same person
 * twice and links the two.
 */
export const BORN_TWICE_AT_ONCE_MS = 100;

export class Entity {
  worlds: World[] = [{ pair: {}, loose: [] }];
  readonly history: HistoryEntry[] = [];
  /** Record ids the soak deleted: they must be gone. */
  readonly gone: { side: Side; kind: Kind; id: string }[] = [];
  /** Set when an edit overlapped a write of the product's to the same record (counted in the report). */
  races = 0;

  constructor(
    readonly n: number,
    readonly flow: FlowName,
    readonly key: string,
    readonly scenario: string,
  ) {}

  get label(): string {
    return `${this.flow} #${this.n} (${this.scenario}, ${this.key})`;
  }

  log(entry: Omit<HistoryEntry, "at">): void {
    this.history.push({ at: new Date().toISOString(), ...entry });
  }

  /** Applies `change` to every world; a change may split a world in several. */
  apply(change: (world: World) => World | World[]): void {
    this.worlds = this.worlds.flatMap((world) => change(cloneWorld(world)));
  }

  /** Keeps the world the systems were found in. */
  settleIn(world: World): void {
    this.worlds = [world];
  }

  /** Every record any world expects, with the world's index. */
  records(world: World): ExpectedRecord[] {
    return [...Object.values(world.pair), ...world.loose];
  }

  // --- changes the workload makes, as the rules say they end ---

  /** A record made by the soak on `side`; linked (its partner made by the product) unless `unsyncableIn`. */
  created(side: Side, record: Omit<ExpectedRecord, "side" | "kind" | "key">, options: { unsyncableIn?: FlowName } = {}): void {
    const kind = KINDS[this.flow][side];
    this.apply((world) => {
      const made: ExpectedRecord = { side, kind, key: this.key, ...record };
      if (options.unsyncableIn) {
        world.loose.push({ ...made, unsyncableIn: options.unsyncableIn });
        return world;
      }
      const target = otherSide(side);
      world.pair = {
        [side]: made,
        [target]: {
          side: target,
          kind: KINDS[this.flow][target],
          key: this.key,
          values: Object.fromEntries(Object.entries(record.values).map(([row, value]) => [row, crossed(this.flow, target, row, value)])),
        },
      };
      return world;
    });
  }

  /** A loose record of this entity (made by the soak) that must stay unsyncable in `flow`. */
  unsyncable(side: Side, kind: Kind, record: { id: string; values: Values; modifiedAt?: number }, flow: FlowName): void {
    this.apply((world) => {
      world.loose.push({ side, kind, key: this.key, ...record, unsyncableIn: flow });
      return world;
    });
  }

  /** An edit of record `id` on `side`: `changes` by row; crosses to the linked partner if the flow carries it. */
  edited(side: Side, id: string, changes: Values, modifiedAt: number): void {
    this.apply((world) => {
      const paired = world.pair[side]?.id === id ? world.pair[side] : undefined;
      const record = paired ?? world.loose.find((candidate) => candidate.side === side && candidate.id === id);
      if (!record) throw new ModelError(`${this.label}: no record ${side} ${id} to edit`);
      Object.assign(record.values, changes);
      record.modifiedAt = modifiedAt;
      const partner = world.pair[otherSide(side)];
      if (paired && partner && carries(this.flow, side)) {
        for (const [row, value] of Object.entries(changes)) partner.values[row] = crossed(this.flow, partner.side, row, value);
      }
      // An edit can make an unsyncable record valid (a company given an orgNr): then it syncs.
      if (!paired && record.unsyncableIn && this.becomesValid(record)) {
        delete record.unsyncableIn;
        world.loose = world.loose.filter((candidate) => candidate !== record);
        const target = otherSide(side);
        world.pair = {
          [side]: record,
          [target]: {
            side: target,
            kind: KINDS[this.flow][target],
            key: record.values.code ?? this.key,
            values: Object.fromEntries(Object.entries(record.values).map(([row, value]) => [row, crossed(this.flow, target, row, value)])),
          },
        };
      }
      return world;
    });
  }

  /** Both sides of the link edited at once: each side's changes, with the systems' write times. */
  editedBoth(edits: Record<Side, { id: string; changes: Values; modifiedAt: number }>, raced: boolean): void {
    this.apply((world) => {
      const { exactonline: exact, crmoffice: crm } = world.pair;
      if (!exact || !crm) throw new ModelError(`${this.label}: both sides edited, but the entity is not linked`);
      const outcomes: World[] = [];
      // Per row: the side(s) whose value may end up on both.
      const rows = new Set([...Object.keys(edits.exactonline.changes), ...Object.keys(edits.crmoffice.changes)]);
      let variants: { values: Values }[] = [{ values: {} }];
      for (const row of rows) {
        const candidates: Value[] = [];
        const fromExact = row in edits.exactonline.changes ? (edits.exactonline.changes[row] ?? null) : undefined;
        const fromCrm = row in edits.crmoffice.changes ? (edits.crmoffice.changes[row] ?? null) : undefined;
        if (fromExact !== undefined && fromCrm !== undefined) {
          const gap = edits.exactonline.modifiedAt - edits.crmoffice.modifiedAt;
          if (Math.abs(gap) <= TIE_MS || raced) candidates.push(fromExact, fromCrm);
          else candidates.push(gap > 0 ? fromExact : fromCrm);
        } else {
          const value = (fromExact ?? fromCrm) as Value;
          candidates.push(value);
          // Overlapping a write of the product's, the edit may have been overwritten by it.
          if (raced) candidates.push(fromExact !== undefined ? (exact.values[row] ?? null) : (crm.values[row] ?? null));
        }
        variants = variants.flatMap((variant) =>
          [...new Set(candidates)].map((value) => ({ values: { ...variant.values, [row]: value } })),
        );
      }
      for (const variant of variants) {
        const next = cloneWorld(world);
        const pair = next.pair as Record<Side, ExpectedRecord>;
        for (const [row, value] of Object.entries(variant.values)) {
          pair.exactonline.values[row] = crossed(this.flow, "exactonline", row, value);
          pair.crmoffice.values[row] = value;
        }
        for (const side of SIDES) if (Object.keys(edits[side].changes).length > 0) pair[side].modifiedAt = edits[side].modifiedAt;
        if (variants.length > 1) next.note = `either edit may win: ${JSON.stringify(variant.values)}`;
        outcomes.push(next);
      }
      return outcomes;
    });
  }

  /** Record `id` on `side` deleted: its link (if any) is closed, the partner kept, unlinked. */
  deleted(side: Side, id: string): void {
    this.gone.push({ side, kind: KINDS[this.flow][side], id });
    this.apply((world) => {
      if (world.pair[side]?.id === id) {
        const partner = world.pair[otherSide(side)];
        world.pair = {};
        if (partner) world.loose.push(partner);
      } else {
        world.loose = world.loose.filter((record) => !(record.side === side && record.id === id));
      }
      return world;
    });
  }

  /**
   * A record made on `side` with the key of a kept record on the other side (deleted and made
   * again, or the same person made in both systems): the two are the unique match, so they
   * are linked and merged, the later write winning a field both hold.
   */
  matched(side: Side, record: { id: string; values: Values; modifiedAt: number }, keptId?: string): void {
    this.apply((world) => {
      const other = otherSide(side);
      const kept = world.loose.find((candidate) => candidate.side === other && (keptId === undefined || candidate.id === keptId));
      if (!kept) throw new ModelError(`${this.label}: no kept ${other} record to match`);
      world.loose = world.loose.filter((candidate) => candidate !== kept);
      const mine: ExpectedRecord = { side, kind: KINDS[this.flow][side], key: this.key, ...record };
      const merge = (tieBreak?: Side): World => {
        const next = cloneWorld(world);
        const merged = mergeNewLink(
          this.flow,
          { side, values: record.values, modifiedAt: record.modifiedAt + (tieBreak === side ? 1_000 : 0) },
          { side: other, values: kept.values, modifiedAt: (kept.modifiedAt ?? 0) + (tieBreak === other ? 1_000 : 0) },
        );
        if (merged === "tie") throw new ModelError("unreachable: a tie broken");
        next.pair = {
          [side]: { ...mine, values: merged[side] },
          [other]: { ...cloneRecord(kept), values: merged[other] },
        };
        return next;
      };
      const plain = mergeNewLink(
        this.flow,
        { side, values: record.values, modifiedAt: record.modifiedAt },
        { side: other, values: kept.values, modifiedAt: kept.modifiedAt ?? 0 },
      );
      return plain === "tie" ? [merge(side), merge(other)] : [merge()];
    });
  }

  /**
   * The same person made in both systems at once: the two are linked and merged. Should the
   * two writes have landed far enough apart for the first one to be synced alone, the first
   * gets a partner made by the product and the second is unsyncable (its match is taken).
   */
  bornTwice(exact: { id: string; values: Values; modifiedAt: number }, crm: { id: string; values: Values; modifiedAt: number }): void {
    const separate = (() => {
      const [first, second] =
        exact.modifiedAt <= crm.modifiedAt ? (["exactonline", "crmoffice"] as const) : (["crmoffice", "exactonline"] as const);
      const records = { exactonline: exact, crmoffice: crm };
      const world: World = {
        pair: {
          [first]: { side: first, kind: KINDS[this.flow][first], key: this.key, ...records[first] },
          [second]: { side: second, kind: KINDS[this.flow][second], key: this.key, values: { ...records[first].values } },
        },
        loose: [{ side: second, kind: KINDS[this.flow][second], key: this.key, ...records[second], unsyncableIn: this.flow }],
        note: `the ${first} record was synced before the ${second} one landed`,
      };
      return world;
    })();
    this.apply((world) => {
      world.loose.push({ side: "exactonline", kind: KINDS[this.flow].exactonline, key: this.key, ...exact });
      return world;
    });
    this.matched("crmoffice", crm, exact.id);
    if (Math.abs(exact.modifiedAt - crm.modifiedAt) > BORN_TWICE_AT_ONCE_MS) this.worlds.push(separate);
  }

  /**
   * An employee edited in Exact (the whole record replaced: `exact.changes` are the rows that
   * changed) and/or its contact in CRMOffice. Exact owns every field: its change goes to
   * CRMOffice, winning a row CRMOffice changed too; CRMOffice's other changes stay there.
   */
  employeeEdited(edit: {
    exact?: { changes: Values; modifiedAt: number };
    crm?: { id: string; changes: Values; modifiedAt: number };
    raced: boolean;
  }): void {
    this.apply((world) => {
      const { exactonline: employee, crmoffice: contact } = world.pair;
      if (!employee || !contact) throw new ModelError(`${this.label}: employee edited, but not linked`);
      const before = { ...contact.values };
      if (edit.exact) {
        Object.assign(employee.values, edit.exact.changes);
        employee.modifiedAt = edit.exact.modifiedAt;
      }
      if (edit.crm) {
        Object.assign(contact.values, edit.crm.changes);
        contact.modifiedAt = edit.crm.modifiedAt;
      }
      if (edit.exact) Object.assign(contact.values, edit.exact.changes);
      if (!edit.raced) return world;
      // Overlapping a write of the product's: for each row the CRMOffice edit touched, its value or the one it replaced.
      let variants: World[] = [world];
      for (const row of Object.keys(edit.crm?.changes ?? {})) {
        const alternative = edit.exact && row in edit.exact.changes ? (edit.crm?.changes[row] ?? null) : (before[row] ?? null);
        if (alternative === contact.values[row]) continue;
        variants = variants.flatMap((variant) => {
          const other = cloneWorld(variant);
          (other.pair.crmoffice as ExpectedRecord).values[row] = alternative;
          other.note = `the CRMOffice edit overlapped a write of the product's (${row})`;
          return [variant, other];
        });
      }
      return variants;
    });
  }

  /** Whether the flow's rules let this record be created on the other side now. */
  private becomesValid(record: ExpectedRecord): boolean {
    return this.flow === "items" && record.side === "crmoffice" && record.values.code !== null && record.values.code !== undefined;
  }

  /** The record ids of every world (known ones). */
  knownIds(): Set<string> {
    const ids = new Set<string>();
    for (const world of this.worlds) for (const record of this.records(world)) if (record.id) ids.add(`${record.side}:${record.id}`);
    return ids;
  }
}

/** The soak's own model was asked for something its workload cannot have made: a bug in the soak, not the product. */
export class ModelError extends Error {
  override name = "ModelError";
}
