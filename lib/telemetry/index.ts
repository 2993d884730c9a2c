import { Metrics } from "@aws-lambda-powertools/metrics";

export { logger } from "#lib/telemetry/logger";

/*
 * One metrics object per process (Powertools' recommended use), beside the one logger. Metrics
 * are written as CloudWatch EMF to stdout, which Lambda ships without API calls.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "ExactCrmOfficeSync",
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "exact-crmoffice-sync",
});
