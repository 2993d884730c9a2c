/**
 * The soak's workload: scenarios, each a short life of one person, item or employee in the
 * systems, played step by step by the people working in them (systems.ts), across all three
 * flows and both directions. Every write is a change; between two steps of one scenario the
 * people wait until the systems show the step synced (as someone would before touching the same
 * record again), while dozens of scenarios run side by side. What each step must lead to is
 * written into the entity's model as the step is made.
 */
import { Entity, type FlowName, type Side, type Values } from "./model";
import type { Random } from "./random";
import type { Landed, SoakSystems } from "./systems";
import type { Verifier } from "./verify";

export interface WorkloadContext {
  rng: Random;
  systems: SoakSystems;
  verifier: Verifier;
  /** Takes `n` changes from the run's budget (waiting for the pace); false when it is spent. */
  take(n: number): Promise<boolean>;
  /** Told when a scenario stopped because a call of the people's own kept failing. */
  failed(reason: string): void;
  /** True once the budget is spent: nobody waits for a step to sync any more (the end's comparison judges it). */
  spent(): boolean;
  /** A number never handed out before in this run. */
  unique(): number;
  /** The run's tag in names, emails and codes (`s<seed>`). */
  tag: string;
  entities: Entity[];
  /** How long a step may take to show synced before the scenario gives up on its entity. */
  settleTimeoutMs: number;
  /** The first and the longest wait between two looks at whether a step is synced (each look reads both systems). */
  settleChecksMs: { first: number; longest: number };
}

const FIRST_NAMES = ["Kari", "Ola", "Ingrid", "Lars", "Sofie", "Jonas", "Nora", "Emil", "Anna", "Henrik", "Maja", "Sander"];
const LAST_NAMES = ["Nordmann", "Hansen", "Berg", "Johansen", "Larsen", "Dahl", "Lie", "Bakken", "Strand", "Moen"];
const ITEM_WORDS = ["Bolt", "Valve", "Bracket", "Pump", "Cable", "Sensor", "Panel", "Hinge", "Filter", "Gasket", "Bearing"];

const CONTACT_ROWS = ["firstName", "lastName", "phone", "mobile"] as const;
type ContactRow = (typeof CONTACT_ROWS)[number];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Scenario names and how often each is picked. */
export const SCENARIO_WEIGHTS = {
  contactFromExact: 22,
  contactFromCrm: 22,
  itemFromExact: 10,
  itemFromCrm: 10,
  bornTwice: 6,
  employee: 12,
  companyWithoutOrgNr: 4,
  emailClash: 3,
} as const;
export type ScenarioName = keyof typeof SCENARIO_WEIGHTS;

export class Workload {
  /** The entities this scenario made, latest last. */
  private readonly made: Entity[] = [];

  constructor(private readonly ctx: WorkloadContext) {}

  /**
   * Plays one scenario. A call of the people's own that a system kept refusing ends the
   * scenario, not the run: it is kept in the entity's history (the comparison still judges it).
   */
  async run(name: ScenarioName): Promise<void> {
    try {
      await this.play(name);
    } catch (error) {
      const entity = this.made.at(-1);
      this.ctx.failed(`${name}: ${String(error)}`);
      if (entity) entity.log({ what: `the people's own call failed, the scenario stops here: ${String(error)}` });
    }
  }

  private async play(name: ScenarioName): Promise<void> {
    switch (name) {
      case "contactFromExact":
        return this.contactLife("exactonline");
      case "contactFromCrm":
        return this.contactLife("crmoffice");
      case "itemFromExact":
        return this.itemLife("exactonline");
      case "itemFromCrm":
        return this.itemLife("crmoffice");
      case "bornTwice":
        return this.bornTwice();
      case "employee":
        return this.employeeLife();
      case "companyWithoutOrgNr":
        return this.companyWithoutOrgNr();
      case "emailClash":
        return this.emailClash();
    }
  }

  // --- values ---

  private email(n: number): string {
    return `p${n}.${this.ctx.tag}@soak.example`;
  }

  private code(n: number): string {
    return `${this.ctx.tag.toUpperCase()}-${n}`;
  }

  private phone(): string {
    const { rng } = this.ctx;
    return `+47 ${rng.int(20, 99)} ${rng.int(10, 99)} ${rng.int(10, 99)} ${rng.int(10, 99)}`;
  }

  private rowValue(row: ContactRow): string {
    const { rng } = this.ctx;
    if (row === "firstName") return `${rng.pick(FIRST_NAMES)} ${this.ctx.unique()}`;
    if (row === "lastName") return `${rng.pick(LAST_NAMES)} ${this.ctx.unique()}`;
    return this.phone();
  }

  private person(n: number, rows: readonly ContactRow[] = CONTACT_ROWS): Values {
    const values: Values = { firstName: null, lastName: null, phone: null, mobile: null, email: this.email(n) };
    for (const row of rows) values[row] = this.rowValue(row);
    return values;
  }

  private itemName(long = false): string {
    const { rng } = this.ctx;
    const name = `${rng.pick(ITEM_WORDS)} ${rng.pick(ITEM_WORDS).toLowerCase()} ${this.ctx.unique()}`;
    // Longer than Exact's 60-character Description: Exact gets it cut.
    return long ? `${name} with a description long enough to be cut by Exact, ${this.ctx.unique()}` : name;
  }

  /** 1–2 of the rows, each with a new value. */
  private contactChanges(rows: readonly ContactRow[] = CONTACT_ROWS, count = this.ctx.rng.int(1, 2)): Values {
    const chosen = new Set<ContactRow>();
    while (chosen.size < Math.min(count, rows.length)) chosen.add(this.ctx.rng.pick(rows));
    return Object.fromEntries([...chosen].map((row) => [row, this.rowValue(row)]));
  }

  // --- steps ---

  private entity(flow: FlowName, key: string, scenario: string): Entity {
    const entity = new Entity(this.ctx.entities.length + 1, flow, key, scenario);
    this.ctx.entities.push(entity);
    this.made.push(entity);
    return entity;
  }

  /** Waits until the systems show the entity's latest step synced; false when it never did. */
  private async settle(entity: Entity): Promise<boolean> {
    const deadline = performance.now() + this.ctx.settleTimeoutMs;
    const { first, longest } = this.ctx.settleChecksMs;
    for (let wait = first; ; wait = Math.min(wait * 2, longest)) {
      await sleep(wait);
      if (await this.ctx.verifier.settled(entity)) return true;
      if (this.ctx.spent()) return false;
      if (performance.now() > deadline) {
        entity.log({ what: `not settled after ${this.ctx.settleTimeoutMs} ms; the scenario stops here` });
        return false;
      }
    }
  }

  private landed(entity: Entity, what: string, side: Side, landed: Landed, values?: Values): void {
    entity.log({
      what: landed.raced ? `${what} (overlapped a write of the product's)` : what,
      side,
      id: landed.id,
      ...(values ? { values } : {}),
      modifiedAt: new Date(landed.modifiedAt).toISOString(),
    });
    if (landed.raced) entity.races += 1;
  }

  /** The current record ids of the entity's linked pair (its only world's). */
  private pairIds(entity: Entity): Record<Side, string> | null {
    const pair = entity.worlds[0]?.pair;
    const exact = pair?.exactonline?.id;
    const crm = pair?.crmoffice?.id;
    return exact && crm ? { exactonline: exact, crmoffice: crm } : null;
  }

  /** One edit of a linked pair: one side, or both at once (the same row, or different rows). */
  private async editPair(
    entity: Entity,
    kinds: Record<Side, "contact" | "item" | "company">,
    rows: readonly ContactRow[] | "name",
  ): Promise<boolean> {
    const ids = this.pairIds(entity);
    if (!ids) return false;
    const { rng } = this.ctx;
    const changes = () => (rows === "name" ? { name: this.itemName() } : this.contactChanges(rows));
    const how = rng.weighted({ exactonline: 4, crmoffice: 4, bothDifferent: rows === "name" ? 0 : 1.5, bothSame: 1 });
    if (how === "exactonline" || how === "crmoffice") {
      if (!(await this.ctx.take(1))) return false;
      const change = changes();
      const landed =
        how === "exactonline"
          ? await this.ctx.systems.editInExact(kinds.exactonline as "contact" | "item", ids.exactonline, change)
          : await this.ctx.systems.editInCrm(kinds.crmoffice as "contact" | "company", ids.crmoffice, change);
      this.landed(entity, "edited", how, landed, change);
      if (landed.raced) entity.editedBoth(this.single(how, ids, change, landed.modifiedAt), true);
      else entity.edited(how, ids[how], change, landed.modifiedAt);
      return this.settle(entity);
    }
    if (!(await this.ctx.take(2))) return false;
    let exactChange: Values;
    let crmChange: Values;
    if (how === "bothSame" || rows === "name") {
      const row = rows === "name" ? "name" : rng.pick(rows);
      exactChange = rows === "name" ? { name: this.itemName() } : { [row]: this.rowValue(row as ContactRow) };
      crmChange = rows === "name" ? { name: this.itemName() } : { [row]: this.rowValue(row as ContactRow) };
    } else {
      const [first, second] = [...rows].sort(() => rng.next() - 0.5) as [ContactRow, ContactRow];
      exactChange = { [first]: this.rowValue(first) };
      crmChange = { [second]: this.rowValue(second) };
    }
    const [inExact, inCrm] = await Promise.all([
      this.ctx.systems.editInExact(kinds.exactonline as "contact" | "item", ids.exactonline, exactChange),
      this.ctx.systems.editInCrm(kinds.crmoffice as "contact" | "company", ids.crmoffice, crmChange),
    ]);
    this.landed(
      entity,
      `edited both sides at once (${how === "bothSame" ? "same field" : "different fields"})`,
      "exactonline",
      inExact,
      exactChange,
    );
    this.landed(entity, "… and in CRMOffice", "crmoffice", inCrm, crmChange);
    entity.editedBoth(
      {
        exactonline: { id: ids.exactonline, changes: exactChange, modifiedAt: inExact.modifiedAt },
        crmoffice: { id: ids.crmoffice, changes: crmChange, modifiedAt: inCrm.modifiedAt },
      },
      inExact.raced || inCrm.raced,
    );
    return this.settle(entity);
  }

  /** One side's edit, shaped as a both-sides edit with nothing from the other (so a race can be modelled). */
  private single(side: Side, ids: Record<Side, string>, change: Values, modifiedAt: number) {
    const edits = {
      exactonline: { id: ids.exactonline, changes: {} as Values, modifiedAt: 0 },
      crmoffice: { id: ids.crmoffice, changes: {} as Values, modifiedAt: 0 },
    };
    edits[side] = { id: ids[side], changes: change, modifiedAt };
    return edits;
  }

  /** A contact's life: made on `origin`, edited on either side or both, perhaps deleted, kept, made again. */
  private async contactLife(origin: Side): Promise<void> {
    const { rng, systems } = this.ctx;
    const n = this.ctx.unique();
    const entity = this.entity("contacts", this.email(n), origin === "exactonline" ? "contact from Exact" : "contact from CRMOffice");
    if (!(await this.ctx.take(1))) return;
    const values = this.person(
      n,
      CONTACT_ROWS.filter((row) => row === "firstName" || row === "lastName" || rng.chance(0.6)),
    );
    const made = origin === "exactonline" ? await systems.createInExact("contact", values) : await systems.createInCrm("contact", values);
    this.ctx.verifier.claim(origin, "contact", made.id);
    this.landed(entity, "created", origin, made, values);
    entity.created(origin, { id: made.id, values, modifiedAt: made.modifiedAt });
    if (!(await this.settle(entity))) return;
    for (let edit = rng.int(1, 4); edit > 0; edit--) {
      if (!(await this.editPair(entity, { exactonline: "contact", crmoffice: "contact" }, CONTACT_ROWS))) return;
    }
    if (rng.chance(0.35)) await this.deleteAndMakeAgain(entity, { exactonline: "contact", crmoffice: "contact" });
  }

  private async itemLife(origin: Side): Promise<void> {
    const { rng, systems } = this.ctx;
    const n = this.ctx.unique();
    const code = this.code(n);
    const entity = this.entity("items", code, origin === "exactonline" ? "item from Exact" : "company from CRMOffice");
    if (!(await this.ctx.take(1))) return;
    const values: Values = { name: this.itemName(origin === "crmoffice" && rng.chance(0.2)), code };
    const made = origin === "exactonline" ? await systems.createInExact("item", values) : await systems.createInCrm("company", values);
    this.ctx.verifier.claim(origin, origin === "exactonline" ? "item" : "company", made.id);
    this.landed(entity, "created", origin, made, values);
    entity.created(origin, { id: made.id, values, modifiedAt: made.modifiedAt });
    if (!(await this.settle(entity))) return;
    for (let edit = rng.int(1, 3); edit > 0; edit--) {
      if (!(await this.editPair(entity, { exactonline: "item", crmoffice: "company" }, "name"))) return;
    }
    if (rng.chance(0.35)) await this.deleteAndMakeAgain(entity, { exactonline: "item", crmoffice: "company" });
  }

  /**
   * Deletes one side of the linked pair (the other is kept, unlinked), perhaps edits the kept
   * record (which must not sync), and perhaps makes the deleted one again with the same email
   * or Code: the new record and the kept one are the unique match, and are linked.
   */
  private async deleteAndMakeAgain(entity: Entity, kinds: Record<Side, "contact" | "item" | "company">): Promise<void> {
    const { rng, systems } = this.ctx;
    const ids = this.pairIds(entity);
    if (!ids || !(await this.ctx.take(1))) return;
    const side: Side = rng.chance(0.5) ? "exactonline" : "crmoffice";
    const kept: Side = side === "exactonline" ? "crmoffice" : "exactonline";
    if (side === "exactonline") await systems.deleteInExact(kinds.exactonline as "contact" | "item", ids.exactonline);
    else await systems.deleteInCrm(kinds.crmoffice as "contact" | "company", ids.crmoffice);
    entity.log({ what: "deleted", side, id: ids[side] });
    entity.deleted(side, ids[side]);
    if (!(await this.settle(entity))) return;
    const isItem = entity.flow === "items";
    if (rng.chance(0.5)) {
      if (!(await this.ctx.take(1))) return;
      const change = isItem ? { name: this.itemName() } : this.contactChanges();
      const landed =
        kept === "exactonline"
          ? await systems.editInExact(kinds.exactonline as "contact" | "item", ids.exactonline, change)
          : await systems.editInCrm(kinds.crmoffice as "contact" | "company", ids.crmoffice, change);
      this.landed(entity, "edited the kept record", kept, landed, change);
      entity.edited(kept, ids[kept], change, landed.modifiedAt);
      if (!(await this.settle(entity))) return;
    }
    if (!rng.chance(0.6) || !(await this.ctx.take(1))) return;
    const n = Number(/p(\d+)\./.exec(entity.key)?.[1] ?? this.ctx.unique());
    const values: Values = isItem
      ? { name: this.itemName(), code: entity.key }
      : this.person(n, ["firstName", "lastName", rng.pick(["phone", "mobile"] as const)]);
    if (!isItem) values.email = entity.key;
    const made =
      side === "exactonline"
        ? await systems.createInExact(kinds.exactonline as "contact" | "item", values)
        : await systems.createInCrm(kinds.crmoffice as "contact" | "company", values);
    this.ctx.verifier.claim(side, kinds[side], made.id);
    this.landed(entity, "made again with the same key", side, made, values);
    entity.matched(side, { id: made.id, values, modifiedAt: made.modifiedAt }, ids[kept]);
    if (!(await this.settle(entity))) return;
    if (rng.chance(0.5)) await this.editPair(entity, kinds, isItem ? "name" : CONTACT_ROWS);
  }

  /** The same person made in both systems at once, each with fields the other lacks. */
  private async bornTwice(): Promise<void> {
    const { systems } = this.ctx;
    const n = this.ctx.unique();
    const entity = this.entity("contacts", this.email(n), "same person made in both systems at once");
    if (!(await this.ctx.take(2))) return;
    const names = this.person(n, ["firstName", "lastName"]);
    const inExact = { ...names, phone: this.phone() };
    const inCrm = { ...names, mobile: this.phone() };
    const [exactMade, crmMade] = await Promise.all([systems.createInExact("contact", inExact), systems.createInCrm("contact", inCrm)]);
    this.ctx.verifier.claim("exactonline", "contact", exactMade.id);
    this.ctx.verifier.claim("crmoffice", "contact", crmMade.id);
    this.landed(entity, "created in Exact", "exactonline", exactMade, inExact);
    this.landed(entity, "… and in CRMOffice at the same time", "crmoffice", crmMade, inCrm);
    entity.bornTwice(
      { id: exactMade.id, values: inExact, modifiedAt: exactMade.modifiedAt },
      { id: crmMade.id, values: inCrm, modifiedAt: crmMade.modifiedAt },
    );
    if (!(await this.settle(entity))) return;
    if (this.pairIds(entity) && this.ctx.rng.chance(0.6))
      await this.editPair(entity, { exactonline: "contact", crmoffice: "contact" }, CONTACT_ROWS);
  }

  /** An employee made and edited in Exact's own user interface (read by the poller), its contact also edited in CRMOffice. */
  private async employeeLife(): Promise<void> {
    const { rng, systems } = this.ctx;
    const n = this.ctx.unique();
    const entity = this.entity("employees", this.email(n), "employee");
    const id = rng.guid();
    if (!(await this.ctx.take(1))) return;
    let employee = this.person(n);
    const made = await systems.putEmployee(id, employee, this.phone());
    this.ctx.verifier.claim("exactonline", "employee", id);
    this.landed(entity, "employee made in Exact's UI", "exactonline", made, employee);
    entity.created("exactonline", { id, values: employee, modifiedAt: made.modifiedAt });
    if (!(await this.settle(entity))) return;
    for (let step = rng.int(1, 3); step > 0; step--) {
      const crmId = entity.worlds[0]?.pair.crmoffice?.id;
      if (!crmId) return;
      const how = rng.weighted({ exact: 3, crm: 2, both: 1 });
      if (!(await this.ctx.take(how === "both" ? 2 : 1))) return;
      const exactChange = this.contactChanges();
      const crmChange = this.contactChanges();
      const next = { ...employee, ...exactChange };
      const [inExact, inCrm] = await Promise.all([
        how === "crm" ? undefined : systems.putEmployee(id, next, this.phone()),
        how === "exact" ? undefined : systems.editInCrm("contact", crmId, crmChange),
      ]);
      if (inCrm) {
        this.landed(entity, "edited the employee's contact in CRMOffice", "crmoffice", inCrm, crmChange);
      }
      if (inExact) {
        employee = next;
        this.landed(entity, "employee edited in Exact's UI", "exactonline", inExact, exactChange);
      }
      const raced = (inCrm?.raced ?? false) || (inExact?.raced ?? false);
      // Exact owns every field: its change wins a row CRMOffice changed too; CRMOffice's other changes stay in CRMOffice.
      entity.employeeEdited({
        ...(inExact ? { exact: { changes: exactChange, modifiedAt: inExact.modifiedAt } } : {}),
        ...(inCrm ? { crm: { id: crmId, changes: crmChange, modifiedAt: inCrm.modifiedAt } } : {}),
        raced,
      });
      if (!(await this.settle(entity))) return;
    }
    if (rng.chance(0.25) && (await this.ctx.take(1))) {
      await systems.deleteEmployee(id);
      entity.log({ what: "employee deleted in Exact's UI", side: "exactonline", id });
      entity.deleted("exactonline", id);
      await this.settle(entity);
    }
  }

  /** A company with no orgNr cannot become an Exact item (Code is mandatory): unsyncable, until an edit gives it one. */
  private async companyWithoutOrgNr(): Promise<void> {
    const { rng, systems } = this.ctx;
    const code = this.code(this.ctx.unique());
    const entity = this.entity("items", code, "company without orgNr");
    if (!(await this.ctx.take(1))) return;
    const values: Values = { name: this.itemName(), code: null };
    const made = await systems.createInCrm("company", values);
    this.ctx.verifier.claim("crmoffice", "company", made.id);
    this.landed(entity, "created without orgNr", "crmoffice", made, values);
    entity.unsyncable("crmoffice", "company", { id: made.id, values, modifiedAt: made.modifiedAt }, "items");
    if (!(await this.settle(entity))) return;
    if (!rng.chance(0.5) || !(await this.ctx.take(1))) return;
    const change = { code };
    const landed = await systems.editInCrm("company", made.id, change);
    this.landed(entity, "given an orgNr", "crmoffice", landed, change);
    entity.edited("crmoffice", made.id, change, landed.modifiedAt);
    await this.settle(entity);
  }

  /**
   * One email, many records: a linked pair; then two CRMOffice contacts with the same email
   * (each unsyncable: the Exact contact it matches is linked already); then an employee with it
   * (unsyncable: two CRMOffice contacts are free to match, an ambiguous email).
   */
  private async emailClash(): Promise<void> {
    const { systems } = this.ctx;
    const n = this.ctx.unique();
    const email = this.email(n);
    const entity = this.entity("contacts", email, "one email, many records");
    if (!(await this.ctx.take(1))) return;
    const values = this.person(n, ["firstName", "lastName"]);
    const made = await systems.createInExact("contact", values);
    this.ctx.verifier.claim("exactonline", "contact", made.id);
    this.landed(entity, "created", "exactonline", made, values);
    entity.created("exactonline", { id: made.id, values, modifiedAt: made.modifiedAt });
    if (!(await this.settle(entity)) || !(await this.ctx.take(2))) return;
    const clashes = [this.person(n, ["firstName", "lastName"]), this.person(n, ["lastName", "mobile"])];
    const madeClashes = await Promise.all(clashes.map((clash) => systems.createInCrm("contact", clash)));
    madeClashes.forEach((clash, index) => {
      this.ctx.verifier.claim("crmoffice", "contact", clash.id);
      this.landed(entity, "created with an email another contact has", "crmoffice", clash, clashes[index]);
      entity.unsyncable(
        "crmoffice",
        "contact",
        { id: clash.id, values: clashes[index] as Values, modifiedAt: clash.modifiedAt },
        "contacts",
      );
    });
    if (!(await this.settle(entity)) || !(await this.ctx.take(1))) return;
    const employeeId = this.ctx.rng.guid();
    const employee = this.person(n, ["firstName", "lastName", "phone"]);
    const hired = await systems.putEmployee(employeeId, employee, null);
    this.ctx.verifier.claim("exactonline", "employee", employeeId);
    this.landed(entity, "employee with the same email made in Exact's UI", "exactonline", hired, employee);
    entity.unsyncable("exactonline", "employee", { id: employeeId, values: employee, modifiedAt: hired.modifiedAt }, "employees");
    await this.settle(entity);
  }
}
