import type { FlowDefinition, Side } from "#lib/flows/definition";
import { exactContactsFlow } from "#lib/flows/exact-contacts";
import { exactEmployeesFlow } from "#lib/flows/exact-employees";
import { exactItemsFlow } from "#lib/flows/exact-items";

/** Every flow the product runs; adding one is adding its definition here. */
export const FLOWS: readonly FlowDefinition[] = [exactEmployeesFlow, exactItemsFlow, exactContactsFlow];

export function flowNamed(name: string): FlowDefinition | undefined {
  return FLOWS.find((flow) => flow.name === name);
}

/** The flows a record of this type on this side takes part in. */
export function flowsForRecord(side: Side, recordType: string): FlowDefinition[] {
  return FLOWS.filter((flow) => flow[side].type === recordType);
}
