import type { Decision } from "#lib/links/sync-log";

/**
 * One readable line per decision, for logs: names, ids and field names only, never values
 * (they are personal data).
 */
export function describeDecision(decision: Decision): string {
  const { record, partner } = decision;
  const subject = `${decision.flow}: ${record.side} ${record.type} ${record.id}`;
  const other = partner ? `${partner.side} ${partner.type} ${partner.id}` : "";
  const fields = Object.entries(decision.fields ?? {})
    .map(([side, names]) => `${side} [${names.join(", ")}]`)
    .join("; ");
  const conflicts = (decision.conflicts ?? []).map((conflict) => `${conflict.field} → ${conflict.winner} (${conflict.reason})`).join(", ");
  const detail = [fields && `wrote ${fields}`, conflicts && `conflicts: ${conflicts}`, decision.reason].filter(Boolean).join("; ");
  const verb = {
    created: `created ${other}`,
    linked: `linked to ${other}`,
    updated: `updated ${other}`,
    echo: "no change (echo)",
    kept: "kept, not written",
    unsyncable: "unsyncable",
    unlinked: `unlinked from ${other}`,
    deleted: `deleted ${other}`,
    ignored: "ignored",
  }[decision.kind];
  return `${subject} → ${verb}${detail ? ` — ${detail}` : ""}`;
}
