/**
 * The demo data set (`seed: "demo"`): fixed GUIDs and values, built to meet CRMOffice's demo
 * on first sync — Kari Nordmann's email and item code NO-918273645 exist on both sides (so
 * they link rather than duplicate); every other record is unique to Exact (so it is created
 * in CRMOffice). The default Account ("Demo Holding BV") is always there, seed or not.
 */
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { instantOfWallClock } from "./amsterdam-time";
import { contactAfterWrite, employeeAfterReplace, itemAfterWrite } from "./rules";
import type { ExactStore } from "./store";
import type { WriteChanges } from "./write-body";

export const DEMO_IDS = {
  contacts: {
    kariNordmann: "7d3c2a1b-4e5f-4a6b-8c9d-0e1f2a3b4c01",
    sanneJansen: "7d3c2a1b-4e5f-4a6b-8c9d-0e1f2a3b4c02",
    pieterBakker: "7d3c2a1b-4e5f-4a6b-8c9d-0e1f2a3b4c03",
  },
  employees: {
    emmaVisser: "3a9e8f7d-6c5b-4a39-8281-7f6e5d4c3b01",
    daanSmit: "3a9e8f7d-6c5b-4a39-8281-7f6e5d4c3b02",
  },
  items: {
    fjordAnalytics: "b2c4d6e8-1a3b-4c5d-9e7f-8a6b4c2d0e01",
    tulipHardware: "b2c4d6e8-1a3b-4c5d-9e7f-8a6b4c2d0e02",
    windmillServices: "b2c4d6e8-1a3b-4c5d-9e7f-8a6b4c2d0e03",
  },
} as const;

const account = EXACT_SANDBOX.defaultAccountId;

const contacts: Array<[string, WriteChanges]> = [
  [
    DEMO_IDS.contacts.kariNordmann,
    [
      ["Account", account],
      ["FirstName", "Kari"],
      ["LastName", "Nordmann"],
      ["Email", "kari.nordmann@example.com"],
      ["Phone", "+47 22 00 00 01"],
      ["Mobile", "+47 900 00 001"],
      ["JobTitleDescription", "Purchasing manager"],
    ],
  ],
  [
    DEMO_IDS.contacts.sanneJansen,
    [
      ["Account", account],
      ["FirstName", "Sanne"],
      ["LastName", "Jansen"],
      ["Email", "sanne.jansen@exact-demo.example.com"],
      ["Phone", "+31 20 000 0002"],
      ["JobTitleDescription", "Controller"],
    ],
  ],
  [
    DEMO_IDS.contacts.pieterBakker,
    [
      ["Account", account],
      ["FirstName", "Pieter"],
      ["LastName", "Bakker"],
      ["Email", "pieter.bakker@exact-demo.example.com"],
      ["Mobile", "+31 6 0000 0003"],
    ],
  ],
];

const employees: Array<[string, WriteChanges]> = [
  [
    DEMO_IDS.employees.emmaVisser,
    [
      ["Code", "E001"],
      ["FirstName", "Emma"],
      ["LastName", "Visser"],
      ["BusinessEmail", "emma.visser@exact-demo.example.com"],
      ["BusinessPhone", "+31 20 000 0101"],
      ["BusinessMobile", "+31 6 0000 0101"],
      ["City", "Amsterdam"],
      ["Country", "NL"],
      ["StartDate", instantOfWallClock(Date.UTC(2021, 2, 1))],
    ],
  ],
  [
    DEMO_IDS.employees.daanSmit,
    [
      ["Code", "E002"],
      ["FirstName", "Daan"],
      ["LastName", "Smit"],
      ["BusinessEmail", "daan.smit@exact-demo.example.com"],
      ["BusinessPhone", "+31 20 000 0102"],
      ["BusinessMobile", "+31 6 0000 0102"],
      ["City", "Utrecht"],
      ["Country", "NL"],
      ["StartDate", instantOfWallClock(Date.UTC(2022, 8, 15))],
    ],
  ],
];

const items: Array<[string, WriteChanges]> = [
  [
    DEMO_IDS.items.fjordAnalytics,
    [
      ["Code", "NO-918273645"],
      ["Description", "Fjord Analytics AS"],
      ["ExtraDescription", "Annual analytics licence"],
      ["IsSalesItem", true],
    ],
  ],
  [
    DEMO_IDS.items.tulipHardware,
    [
      ["Code", "NL-TULIP-01"],
      ["Description", "Tulip Hardware BV"],
      ["IsStockItem", true],
    ],
  ],
  [
    DEMO_IDS.items.windmillServices,
    [
      ["Code", "NL-WIND-02"],
      ["Description", "Windmill Services BV"],
      ["Unit", "hr"],
    ],
  ],
];

/** Loads the demo records through the same rules the API applies (dates are Amsterdam midnight, as Exact's are). */
export function seedDemo(store: ExactStore): void {
  for (const [id, changes] of contacts) store.create("Contacts", contactAfterWrite(store, undefined, changes), id);
  for (const [id, changes] of employees) store.create("Employees", employeeAfterReplace(changes), id);
  for (const [id, changes] of items) store.create("Items", itemAfterWrite(store, undefined, changes), id);
}
