/**
 * Checking the systems against the model: whether one entity is settled (both systems show
 * what one of its worlds says, and the product is not writing its records), and at the end the
 * comparison of both systems' FULL contents with every entity, plus the product's unsyncable
 * records with the ones the workload made so.
 */
import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { keys } from "#lib/store/keys";
import { LinkStore } from "#lib/links/store";
import { SyncLog, type LoggedDecision } from "#lib/links/sync-log";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { type Entity, type ExpectedRecord, type FlowName, type HistoryEntry, type Kind, type Side, type Values, type World } from "./model";
import type { ReadRecord, SoakSystems } from "./systems";
import type { ProductTracker } from "./tracker";

const FLOWS: readonly FlowName[] = ["contacts", "items", "employees"];
const ALL_KINDS: readonly { side: Side; kind: Kind }[] = [
  { side: "exactonline", kind: "contact" },
  { side: "exactonline", kind: "item" },
  { side: "exactonline", kind: "employee" },
  { side: "crmoffice", kind: "contact" },
  { side: "crmoffice", kind: "company" },
];

const recordKey = (side: Side, kind: Kind, id: string) => `${side}|${kind}|${id}`;
const keyRow = (kind: Kind) => (kind === "item" || kind === "company" ? "code" : "email");

export interface WrongRecord {
  entity: string;
  flow: FlowName;
  problem: string;
  side: Side;
  kind: Kind;
  id?: string;
  expected?: Values;
  actual?: Values;
  /** What the soak did to the entity, then every decision the product logged about its records. */
  history: { soak: HistoryEntry[]; product: LoggedDecision[] };
}

export interface Comparison {
  lost: number;
  duplicated: number;
  wrongFields: number;
  unsyncable: { expected: number; unexpected: number; missing: number };
  wrong: WrongRecord[];
  /**
   * Fields a person changed while one of the product's writes to the same record was already
   * in flight, overwritten by it, both systems ending on the same value: the README's known
   * limit (neither API has a conditional write). Listed apart from `wrong`, with their history.
   */
  overwrittenInFlight: WrongRecord[];
}

/** How soon after a person's edit a product write may land that was decided on a read from before it. */
const IN_FLIGHT_WINDOW_MS = 10_000;

/**
 * True when each wrong row of the entity is explained by a write of the product's that landed
 * just after the person's latest edit of it, on the same side, without a conflict for that row
 * (the product decided on a read from before the edit), and both sides hold the same value.
 */
function overwrittenInFlight(
  entity: Entity,
  problems: readonly Omit<WrongRecord, "history" | "entity" | "flow">[],
  product: LoggedDecision[],
): boolean {
  const wrong = problems.filter((problem) => problem.problem.startsWith("wrong ") && problem.expected && problem.actual);
  if (wrong.length === 0 || wrong.length !== problems.length) return false;
  const rows = new Set(wrong.flatMap((problem) => differences(problem.expected ?? {}, problem.actual ?? {})));
  for (const row of rows) {
    const actuals = new Set(wrong.map((problem) => problem.actual?.[row] ?? null));
    if (actuals.size !== 1) return false;
    const edit = entity.history.findLast((entry) => entry.values !== undefined && row in entry.values && entry.modifiedAt !== undefined);
    if (!edit?.side || !edit.modifiedAt) return false;
    const at = Date.parse(edit.modifiedAt);
    const side = edit.side;
    const overwrote = product.some((decision) => {
      const when = Date.parse(decision.at);
      const written = decision.fields?.[side] ?? [];
      // CRMOffice's PUT replaces the whole record: any write to it overwrites every field.
      const touched = side === "crmoffice" ? written.length > 0 : written.includes(row);
      return (
        when > at && when <= at + IN_FLIGHT_WINDOW_MS && touched && !(decision.conflicts ?? []).some((conflict) => conflict.field === row)
      );
    });
    if (!overwrote) return false;
  }
  return true;
}

/** Field by field: the rows whose values differ. */
function differences(expected: Values, actual: Values): string[] {
  return Object.keys(expected).filter((row) => (expected[row] ?? null) !== (actual[row] ?? null));
}

export class Verifier {
  /** Records an entity has taken as its own (found by key, or made by the soak). */
  private readonly claimed = new Set<string>();

  constructor(
    private readonly systems: SoakSystems,
    private readonly tracker: ProductTracker,
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  claim(side: Side, kind: Kind, id: string): void {
    this.claimed.add(recordKey(side, kind, id));
  }

  private async unsyncableMarked(record: ExpectedRecord & { id: string }, flow: FlowName): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.unsyncable(record.side, record.kind, record.id, flow), ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  /** The record a world expects, as the system holds it now; "missing" or "ambiguous" when it cannot be told. */
  private async locate(record: ExpectedRecord): Promise<ReadRecord | "missing" | "ambiguous"> {
    if (record.id) return (await this.systems.read(record.side, record.kind, record.id)) ?? "missing";
    const candidates = (await this.systems.findByKey(record.side, record.kind, record.key)).filter(
      (found) => !this.claimed.has(recordKey(record.side, record.kind, found.id)),
    );
    if (candidates.length === 0) return "missing";
    return candidates.length === 1 ? (candidates[0] as ReadRecord) : "ambiguous";
  }

  /** Whether the systems hold this world now; the ids it found for records the product made. */
  private async holds(entity: Entity, world: World): Promise<Map<ExpectedRecord, string> | null> {
    const found = new Map<ExpectedRecord, string>();
    for (const record of entity.records(world)) {
      if (record.id && this.tracker.writing(this.systems.recordPath(record.side, record.kind, record.id))) return null;
      const actual = await this.locate(record);
      if (typeof actual === "string") return null;
      if (differences(record.values, actual.values).length > 0) return null;
      if (record.unsyncableIn && !(await this.unsyncableMarked({ ...record, id: actual.id }, record.unsyncableIn))) return null;
      if (!record.id) found.set(record, actual.id);
    }
    for (const gone of entity.gone) if (await this.systems.read(gone.side, gone.kind, gone.id)) return null;
    return found;
  }

  /**
   * True when both systems show one of the entity's worlds and the product is writing none of
   * its records: the entity keeps that world, and the records the product made become known.
   */
  async settled(entity: Entity): Promise<boolean> {
    for (const world of entity.worlds) {
      const found = await this.holds(entity, world);
      if (!found) continue;
      for (const [record, id] of found) {
        record.id = id;
        this.claim(record.side, record.kind, id);
      }
      entity.settleIn(world);
      return true;
    }
    return false;
  }

  /** Every unsyncable record the product keeps, per flow: `recordKey` → reason. */
  private async unsyncableRecords(): Promise<Map<string, { flow: FlowName; side: Side; kind: Kind; id: string; reason: string }>> {
    const found = new Map<string, { flow: FlowName; side: Side; kind: Kind; id: string; reason: string }>();
    const store = new LinkStore(this.db, this.tableName);
    for (const flow of FLOWS) {
      for (const { record, reason } of await store.unsyncableRecords(flow)) {
        const entry = { flow, side: record.side, kind: record.type as Kind, id: record.id, reason };
        found.set(`${flow}|${recordKey(entry.side, entry.kind, entry.id)}`, entry);
      }
    }
    return found;
  }

  /** What the product logged about every record the entity has had. */
  async productHistory(entity: Entity): Promise<LoggedDecision[]> {
    const log = new SyncLog(this.db, this.tableName, 30);
    const refs = new Map<string, { side: Side; type: Kind; id: string }>();
    for (const world of entity.worlds)
      for (const record of entity.records(world))
        if (record.id) refs.set(recordKey(record.side, record.kind, record.id), { side: record.side, type: record.kind, id: record.id });
    for (const gone of entity.gone) refs.set(recordKey(gone.side, gone.kind, gone.id), { side: gone.side, type: gone.kind, id: gone.id });
    const decisions = (await Promise.all([...refs.values()].map((ref) => log.history(ref)))).flat();
    return decisions.sort((a, b) => a.at.localeCompare(b.at));
  }

  /**
   * Both systems' full contents against every entity: each expected record present once with
   * its values, nothing else present, and the product's unsyncable records exactly the ones
   * the workload made so.
   */
  async compareAll(entities: readonly Entity[]): Promise<Comparison> {
    const contents = new Map<string, ReadRecord[]>();
    await Promise.all(ALL_KINDS.map(async ({ side, kind }) => contents.set(`${side}|${kind}`, await this.systems.listAll(side, kind))));
    const byId = new Map<string, ReadRecord>();
    const byKey = new Map<string, ReadRecord[]>();
    for (const { side, kind } of ALL_KINDS) {
      for (const record of contents.get(`${side}|${kind}`) ?? []) {
        byId.set(recordKey(side, kind, record.id), record);
        const key = `${side}|${kind}|${record.values[keyRow(kind)] ?? "(none)"}`;
        byKey.set(key, [...(byKey.get(key) ?? []), record]);
      }
    }
    const knownIds = new Set<string>();
    for (const entity of entities)
      for (const world of entity.worlds)
        for (const record of entity.records(world)) if (record.id) knownIds.add(recordKey(record.side, record.kind, record.id));
    const taken = new Set<string>();
    const result: Comparison = {
      lost: 0,
      duplicated: 0,
      wrongFields: 0,
      unsyncable: { expected: 0, unexpected: 0, missing: 0 },
      wrong: [],
      overwrittenInFlight: [],
    };
    const wrongEntities = new Map<Entity, Omit<WrongRecord, "history" | "entity" | "flow">[]>();
    const expectedUnsyncable = new Set<string>();

    for (const entity of entities) {
      // The world the systems are closest to (usually the only one).
      let best:
        { world: World; problems: Omit<WrongRecord, "history" | "entity" | "flow">[]; claims: string[]; unsyncable: string[] } | undefined;
      for (const world of entity.worlds) {
        const problems: Omit<WrongRecord, "history" | "entity" | "flow">[] = [];
        const claims: string[] = [];
        const unsyncable: string[] = [];
        for (const record of entity.records(world)) {
          let actual: ReadRecord | undefined;
          if (record.id) actual = byId.get(recordKey(record.side, record.kind, record.id));
          else {
            const candidates = (byKey.get(`${record.side}|${record.kind}|${record.key}`) ?? []).filter((candidate) => {
              const key = recordKey(record.side, record.kind, candidate.id);
              return !knownIds.has(key) && !taken.has(key) && !claims.includes(key);
            });
            actual = candidates.find((candidate) => differences(record.values, candidate.values).length === 0) ?? candidates[0];
          }
          if (!actual) {
            problems.push({
              problem: "lost",
              side: record.side,
              kind: record.kind,
              ...(record.id ? { id: record.id } : {}),
              expected: record.values,
            });
            continue;
          }
          claims.push(recordKey(record.side, record.kind, actual.id));
          const wrong = differences(record.values, actual.values);
          if (wrong.length > 0) {
            problems.push({
              problem: `wrong ${wrong.join(", ")}`,
              side: record.side,
              kind: record.kind,
              id: actual.id,
              expected: record.values,
              actual: actual.values,
            });
          }
          if (record.side === "exactonline" && record.kind === "contact" && actual.account !== EXACT_SANDBOX.defaultAccountId) {
            problems.push({ problem: `wrong Account ${String(actual.account)}`, side: record.side, kind: record.kind, id: actual.id });
          }
          if (record.unsyncableIn) unsyncable.push(`${record.unsyncableIn}|${recordKey(record.side, record.kind, actual.id)}`);
        }
        if (!best || problems.length < best.problems.length) best = { world, problems, claims, unsyncable };
      }
      if (!best) continue;
      entity.settleIn(best.world);
      for (const claim of best.claims) taken.add(claim);
      for (const key of best.unsyncable) expectedUnsyncable.add(key);
      for (const problem of best.problems) {
        if (problem.problem === "lost") result.lost += 1;
      }
      if (best.problems.length > 0) wrongEntities.set(entity, best.problems);
    }

    // Whatever no entity accounts for was made by nobody, or twice.
    const entityByKey = new Map<string, Entity>();
    for (const entity of entities) entityByKey.set(entity.key, entity);
    for (const { side, kind } of ALL_KINDS) {
      for (const record of contents.get(`${side}|${kind}`) ?? []) {
        const key = recordKey(side, kind, record.id);
        if (taken.has(key)) continue;
        result.duplicated += 1;
        const owner = entityByKey.get(record.values[keyRow(kind)] ?? "");
        const problem = { problem: owner ? "duplicated" : "unexpected record", side, kind, id: record.id, actual: record.values };
        if (owner) wrongEntities.set(owner, [...(wrongEntities.get(owner) ?? []), problem]);
        else result.wrong.push({ entity: "(none)", flow: flowOf(kind), ...problem, history: { soak: [], product: [] } });
      }
    }

    const unsyncable = await this.unsyncableRecords();
    for (const [key, entry] of unsyncable) {
      if (expectedUnsyncable.has(key)) {
        result.unsyncable.expected += 1;
        continue;
      }
      result.unsyncable.unexpected += 1;
      const ownerEntity = entities.find((entity) =>
        entity.records(entity.worlds[0] as World).some((record) => record.id === entry.id && record.side === entry.side),
      );
      const problem = {
        problem: `unexpected unsyncable in ${entry.flow}: ${entry.reason}`,
        side: entry.side,
        kind: entry.kind,
        id: entry.id,
      };
      if (ownerEntity) wrongEntities.set(ownerEntity, [...(wrongEntities.get(ownerEntity) ?? []), problem]);
      else result.wrong.push({ entity: "(none)", flow: entry.flow, ...problem, history: { soak: [], product: [] } });
    }
    for (const key of expectedUnsyncable) {
      if (unsyncable.has(key)) continue;
      result.unsyncable.missing += 1;
      const [flow, side, kind, id] = key.split("|") as [FlowName, Side, Kind, string];
      const ownerEntity = entities.find((entity) => entity.records(entity.worlds[0] as World).some((record) => record.id === id));
      const problem = { problem: `not recorded as unsyncable in ${flow}`, side, kind, id };
      if (ownerEntity) wrongEntities.set(ownerEntity, [...(wrongEntities.get(ownerEntity) ?? []), problem]);
    }

    for (const [entity, problems] of wrongEntities) {
      const history = { soak: entity.history, product: await this.productHistory(entity) };
      const inFlight = overwrittenInFlight(entity, problems, history.product);
      for (const problem of problems) {
        const record = { entity: entity.label, flow: entity.flow, ...problem, history };
        if (inFlight) {
          result.overwrittenInFlight.push(record);
          continue;
        }
        result.wrong.push(record);
        if (problem.problem.startsWith("wrong ")) {
          result.wrongFields += problem.expected && problem.actual ? differences(problem.expected, problem.actual).length : 1;
        }
      }
    }
    return result;
  }
}

/** The flow a record of an unknown entity would be in (a CRMOffice contact: contacts, unless an employee's). */
function flowOf(kind: Kind): FlowName {
  if (kind === "employee") return "employees";
  return kind === "item" || kind === "company" ? "items" : "contacts";
}
