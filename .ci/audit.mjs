#!/usr/bin/env node
// CI's dependency audit (.ci/run): fails on a known high or critical advisory in the production
// dependencies (what the functions bundle; dev tools never reach AWS), from the registry's
// advisory database through `npm audit`.
//
// Exit codes:
//   0   the registry answered: no high or critical advisory (lower ones are listed, not failed)
//   1   a high or critical advisory, or the audit itself broke (no lockfile, unreadable answer)
//   75  the registry's advisory endpoint did not answer (offline, or a mirror that serves
//       packages but not advisories, which answers 405): nothing was checked, and CI says so
//       instead of counting it as passed. With CI_AUDIT_REQUIRED=1 this fails (1) instead, for
//       a CI machine that is expected to reach the advisory endpoint.
import { execFile } from "node:child_process";
import process from "node:process";

const say = (line) => process.stdout.write(`${line}\n`);
const FAILING_SEVERITIES = ["high", "critical"];
const UNAVAILABLE = 75;

/** `npm audit --json` answers even when it exits non-zero (it does so for any advisory). */
function runAudit() {
  return new Promise((resolve) => {
    execFile(
      "npm",
      // A registry that does not answer should not hold CI for npm's five-minute default.
      ["audit", "--omit=dev", "--json", "--fetch-timeout=30000", "--fetch-retries=1"],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ exitCode: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** npm's words when the advisory request failed (refused, timed out, or an HTTP error status). */
const endpointDidNotAnswer = (report, stderr) =>
  stderr.includes("audit endpoint returned an error") ||
  /security\/(advisories\/bulk|audits)/.test(typeof report?.message === "string" ? report.message : "");

/** Reports the audit and answers the exit code (see above). */
async function audit() {
  const { exitCode, stdout, stderr } = await runAudit();
  const report = parse(stdout);
  const counts = report?.metadata?.vulnerabilities;

  if (counts && typeof report.vulnerabilities === "object") {
    const failing = Object.values(report.vulnerabilities).filter((vulnerability) => FAILING_SEVERITIES.includes(vulnerability.severity));
    const production = report.metadata.dependencies?.prod ?? "?";
    const lower = Object.entries(counts)
      .filter(([severity, count]) => severity !== "total" && !FAILING_SEVERITIES.includes(severity) && count > 0)
      .map(([severity, count]) => `${count} ${severity}`);
    for (const vulnerability of failing) {
      const advisories = vulnerability.via
        .filter((via) => typeof via === "object")
        .map((via) => `${via.title} (${via.url})`)
        .join("; ");
      say(
        `audit: ${vulnerability.severity} ${vulnerability.name}${advisories ? `: ${advisories}` : ` (through ${vulnerability.via.join(", ")})`}`,
      );
    }
    say(
      `audit: ${failing.length} of ${production} production dependencies with a high or critical advisory` +
        (lower.length > 0 ? ` (below the bar: ${lower.join(", ")})` : ""),
    );
    return failing.length > 0 ? 1 : 0;
  }

  if (endpointDidNotAnswer(report, stderr)) {
    const reason = typeof report?.message === "string" ? report.message : stderr.trim().split("\n")[0];
    const required = process.env.CI_AUDIT_REQUIRED === "1";
    say(`audit: not checked, the registry's advisory endpoint did not answer: ${reason}`);
    say(required ? "audit: CI_AUDIT_REQUIRED=1, so this fails" : "audit: set CI_AUDIT_REQUIRED=1 to fail on this instead");
    return required ? 1 : UNAVAILABLE;
  }

  say(`audit: npm audit failed (exit ${exitCode}): ${(report?.error?.summary || report?.message || stderr).toString().trim()}`);
  return 1;
}

process.exitCode = await audit();
