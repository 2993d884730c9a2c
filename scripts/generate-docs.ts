/**
 * `npm run docs`: writes docs/dataflows.rst from the flow definitions in lib/flows/. The output
 * carries no clock, so running it again without changing a definition changes nothing.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generatedFrom, renderDataflowDocument } from "#lib/docs/dataflow-document";
import { FLOWS } from "#lib/flows/index";

const target = fileURLToPath(new URL("../docs/dataflows.rst", import.meta.url));
writeFileSync(target, renderDataflowDocument(FLOWS, { generated: generatedFrom(FLOWS) }));
console.log(`wrote ${target}`);
