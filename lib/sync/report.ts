import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { DecisionKind, LoggedDecision } from "#lib/links/sync-log";
import { describeDecision } from "#lib/sync/describe";
import { logger, metrics } from "#lib/telemetry/index";

const DECISION_METRICS: Record<DecisionKind, string> = {
  created: "Synced",
  linked: "Synced",
  updated: "Synced",
  deleted: "Synced",
  unlinked: "Synced",
  echo: "EchoesSkipped",
  kept: "EditsKept",
  unsyncable: "Unsyncable",
  ignored: "Ignored",
};

/** One readable log line and one metric per decision (values never leave the sync log). */
export function reportDecision(decision: LoggedDecision): void {
  logger.info(describeDecision(decision), { correlationId: decision.correlationId, flow: decision.flow, decision: decision.kind });
  metrics.addMetric(DECISION_METRICS[decision.kind], MetricUnit.Count, 1);
  if (decision.conflicts?.length) metrics.addMetric("Conflicts", MetricUnit.Count, decision.conflicts.length);
}
