/**
 * The people working in both systems during the soak: they make, edit and delete records through
 * the systems' own APIs (and, for employees, Exact's user interface: `PUT /_sandbox/employees`),
 * and read records back the way a user would. They retry what a busy system refused, as a
 * person does (a refused write changed nothing; an edit made again is made on what the system
 * shows then). Each write reports the system's own modification time, and whether one of the
 * product's writes to the same record overlapped it (tracker.ts).
 */
import { fromExactDate } from "#lib/connectors/exactonline/dates";
import { crmDriver, exactDriver, type CrmDriver, type ExactDriver } from "#lib/bench/driver";
import { DRIVER_HEADER } from "#lib/bench/calls";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { fieldsOf, valuesOf, type FlowName, type Kind, type Side, type Value, type Values } from "./model";
import type { ProductTracker } from "./tracker";

/** A write as it landed. */
export interface Landed {
  id: string;
  /** The system's modification time of this write (epoch ms). */
  modifiedAt: number;
  /** One of the product's writes to the same record was in flight during this one. */
  raced: boolean;
}

export interface ReadRecord {
  id: string;
  values: Values;
  modifiedAt: number;
  /** Exact contacts: their Account. */
  account?: string | null;
  /** Everything the system answered, for a wrong record's history. */
  raw: Record<string, unknown>;
}

const RETRYABLE = /HTTP (5\d\d|429)\b/;
/** A person gives up on a system that keeps refusing for this long (Exact's minute budget spent lasts up to a minute). */
const GIVE_UP_AFTER_MS = 300_000;

/** The kind of record each system path holds. */
const EXACT_PATHS: Record<"contact" | "item" | "employee", string> = {
  contact: "crm/Contacts",
  item: "logistics/Items",
  employee: "payroll/Employees",
};
const CRM_PATHS: Record<"contact" | "company", string> = { contact: "/contacts", company: "/companies" };

const EXACT_SELECT: Record<"contact" | "item" | "employee", string> = {
  contact: "ID,FirstName,LastName,Email,Phone,Mobile,Account,Modified",
  item: "ID,Code,Description,Modified",
  employee: "ID,FirstName,LastName,BusinessEmail,BusinessPhone,BusinessMobile,Phone,Modified",
};

const FLOW_OF_KIND: Record<Side, Record<string, FlowName>> = {
  exactonline: { contact: "contacts", item: "items", employee: "employees" },
  crmoffice: { contact: "contacts", company: "items" },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SoakSystems {
  /** Writes the soak retried because a system refused them (injected faults and rate limits). */
  retried = 0;

  private constructor(
    private exact: ExactDriver,
    private crm: CrmDriver,
    private readonly urls: { exactonline: string; crmoffice: string },
    private readonly tracker: ProductTracker,
  ) {}

  /** The people, signed in to both systems (their requests marked as the driver's, for the tracker). */
  static async signIn(urls: { exactonline: string; crmoffice: string }, tracker: ProductTracker): Promise<SoakSystems> {
    return new SoakSystems(await exactDriver(urls.exactonline), await crmDriver(urls.crmoffice), urls, tracker);
  }

  /** The path of a record as the product addresses it (for the tracker). */
  recordPath(side: Side, kind: Kind, id: string): string {
    if (side === "crmoffice") return `${CRM_PATHS[kind as "contact" | "company"]}/${id}`;
    return `/api/v1/${EXACT_SANDBOX.division}/${EXACT_PATHS[kind as "contact" | "item" | "employee"]}(guid'${id}')`;
  }

  /** Retries a call the system refused for now (5xx, 429), as a person would. */
  private async persist<T>(call: () => Promise<T>): Promise<T> {
    const giveUpAt = performance.now() + GIVE_UP_AFTER_MS;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        const text = String(error);
        if (/HTTP 401\b/.test(text) && performance.now() <= giveUpAt) {
          // Signed out: their tokens expire (Exact's after 10 minutes), and people sign in again.
          this.exact = await exactDriver(this.urls.exactonline);
          this.crm = await crmDriver(this.urls.crmoffice);
          continue;
        }
        if (performance.now() > giveUpAt || !RETRYABLE.test(text)) throw error;
        this.retried += 1;
        await sleep(/HTTP 429/.test(text) ? 1_000 : 200);
      }
    }
  }

  // --- Exact ---

  private async exactModified(kind: "contact" | "item", id: string): Promise<number> {
    const record = await this.read("exactonline", kind, id);
    if (!record) throw new Error(`exactonline ${kind} ${id} is gone right after the soak wrote it`);
    return record.modifiedAt;
  }

  async createInExact(kind: "contact" | "item", values: Values): Promise<Landed> {
    const flow = FLOW_OF_KIND.exactonline[kind] as FlowName;
    const body = { ...fieldsOf(flow, "exactonline", values), ...(kind === "contact" ? { Account: EXACT_SANDBOX.defaultAccountId } : {}) };
    const started = performance.now();
    const made = await this.persist(() => this.exact.post(EXACT_PATHS[kind], body));
    const id = String(made.ID).toLowerCase();
    return {
      id,
      modifiedAt: await this.exactModified(kind, id),
      raced: this.tracker.wroteSince(this.recordPath("exactonline", kind, id), started),
    };
  }

  async editInExact(kind: "contact" | "item", id: string, changes: Values): Promise<Landed> {
    const flow = FLOW_OF_KIND.exactonline[kind] as FlowName;
    const path = this.recordPath("exactonline", kind, id);
    const started = performance.now();
    await this.persist(() => this.exact.put(`${EXACT_PATHS[kind]}(guid'${id}')`, fieldsOf(flow, "exactonline", changes)));
    const modifiedAt = await this.exactModified(kind, id);
    return { id, modifiedAt, raced: this.tracker.wroteSince(path, started) };
  }

  async deleteInExact(kind: "contact" | "item", id: string): Promise<void> {
    await this.persist(() => this.exact.delete(`${EXACT_PATHS[kind]}(guid'${id}')`));
  }

  /**
   * An employee made or edited in Exact's own user interface: the whole record is given (fields
   * left out are cleared), with a private phone the sync must not carry.
   */
  async putEmployee(id: string, values: Values, privatePhone: Value): Promise<Landed> {
    const body = { ...fieldsOf("employees", "exactonline", values), Phone: privatePhone, Code: id.slice(0, 8) };
    const started = performance.now();
    const answer = await this.persist(async () => {
      const response = await fetch(`${this.urls.exactonline}/_sandbox/employees/${id}`, {
        method: "PUT",
        headers: { "content-type": "application/json", [DRIVER_HEADER]: "1" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`PUT /_sandbox/employees: HTTP ${response.status} ${text}`);
      return JSON.parse(text) as { d: Record<string, unknown> };
    });
    return {
      id,
      modifiedAt: Date.parse(fromExactDate(String(answer.d.Modified))),
      raced: this.tracker.wroteSince(this.recordPath("exactonline", "employee", id), started),
    };
  }

  async deleteEmployee(id: string): Promise<void> {
    await this.persist(async () => {
      const response = await fetch(`${this.urls.exactonline}/_sandbox/employees/${id}`, {
        method: "DELETE",
        headers: { [DRIVER_HEADER]: "1" },
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`DELETE /_sandbox/employees: HTTP ${response.status}`);
    });
  }

  // --- CRMOffice ---

  async createInCrm(kind: "contact" | "company", values: Values): Promise<Landed> {
    const flow = FLOW_OF_KIND.crmoffice[kind] as FlowName;
    const started = performance.now();
    const made = await this.persist(() => this.crm.post(CRM_PATHS[kind], fieldsOf(flow, "crmoffice", values)));
    const id = String(made.id);
    return {
      id,
      modifiedAt: Date.parse(String(made.modifiedAt)),
      raced: this.tracker.wroteSince(this.recordPath("crmoffice", kind, id), started),
    };
  }

  /** CRMOffice's PUT replaces the whole record: the record as shown now, with the changes. */
  async editInCrm(kind: "contact" | "company", id: string, changes: Values): Promise<Landed> {
    const flow = FLOW_OF_KIND.crmoffice[kind] as FlowName;
    const path = this.recordPath("crmoffice", kind, id);
    const started = performance.now();
    const saved = await this.persist(async () => {
      const current = await this.crm.get(`${CRM_PATHS[kind]}/${id}`);
      if (!current) throw new Error(`crmoffice ${kind} ${id} is gone`);
      const { id: _id, createdAt: _createdAt, modifiedAt: _modifiedAt, ...fields } = current;
      return this.crm.put(`${CRM_PATHS[kind]}/${id}`, { ...fields, ...fieldsOf(flow, "crmoffice", changes) });
    });
    return { id, modifiedAt: Date.parse(String(saved.modifiedAt)), raced: this.tracker.wroteSince(path, started) };
  }

  async deleteInCrm(kind: "contact" | "company", id: string): Promise<void> {
    await this.persist(() => this.crm.delete(`${CRM_PATHS[kind]}/${id}`));
  }

  // --- reading, as a user would ---

  private toRecord(side: Side, kind: Kind, row: Record<string, unknown>): ReadRecord {
    const flow = FLOW_OF_KIND[side][kind] as FlowName;
    if (side === "exactonline") {
      return {
        id: String(row.ID).toLowerCase(),
        values: valuesOf(flow, side, row),
        modifiedAt: Date.parse(fromExactDate(String(row.Modified))),
        ...(kind === "contact" ? { account: row.Account === null || row.Account === undefined ? null : String(row.Account) } : {}),
        raw: row,
      };
    }
    return { id: String(row.id), values: valuesOf(flow, side, row), modifiedAt: Date.parse(String(row.modifiedAt)), raw: row };
  }

  /** One record, or null when it does not exist (an Exact list filtered by ID: no 404 that counts towards Exact's error block). */
  async read(side: Side, kind: Kind, id: string): Promise<ReadRecord | null> {
    if (side === "crmoffice") {
      const row = await this.persist(() => this.crm.get(`${CRM_PATHS[kind as "contact" | "company"]}/${id}`));
      return row ? this.toRecord(side, kind, row) : null;
    }
    const exactKind = kind as "contact" | "item" | "employee";
    const rows = await this.persist(() =>
      this.exact.list(`${EXACT_PATHS[exactKind]}?$filter=ID eq guid'${id}'&$select=${EXACT_SELECT[exactKind]}`),
    );
    return rows[0] ? this.toRecord(side, kind, rows[0]) : null;
  }

  /** The records whose merge key (email, code) is `key`. */
  async findByKey(side: Side, kind: Kind, key: string): Promise<ReadRecord[]> {
    if (side === "crmoffice") {
      const query = kind === "contact" ? `email=${encodeURIComponent(key)}` : `orgNr=${encodeURIComponent(key)}`;
      const rows = await this.persist(() => this.crm.list(`${CRM_PATHS[kind as "contact" | "company"]}?${query}`));
      return rows
        .map((row) => this.toRecord(side, kind, row))
        .filter((record) => record.values[kind === "contact" ? "email" : "code"] === key);
    }
    const exactKind = kind as "contact" | "item" | "employee";
    const field = { contact: "Email", item: "Code", employee: "BusinessEmail" }[exactKind];
    const literal = key.replaceAll("'", "''");
    const rows = await this.persist(() =>
      this.exact.list(`${EXACT_PATHS[exactKind]}?$filter=${field} eq '${literal}'&$select=${EXACT_SELECT[exactKind]}`),
    );
    return rows.map((row) => this.toRecord(side, kind, row));
  }

  /** Every record of a kind, as the system lists them. */
  async listAll(side: Side, kind: Kind): Promise<ReadRecord[]> {
    if (side === "crmoffice") {
      const rows = await this.persist(() => this.crm.list(CRM_PATHS[kind as "contact" | "company"]));
      return rows.map((row) => this.toRecord(side, kind, row));
    }
    const exactKind = kind as "contact" | "item" | "employee";
    const rows = await this.persist(() => this.exact.list(`${EXACT_PATHS[exactKind]}?$select=${EXACT_SELECT[exactKind]}`));
    return rows.map((row) => this.toRecord(side, kind, row));
  }
}
