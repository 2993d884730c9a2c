/**
 * `syncctl`: the operator's command line (`npx syncctl <command>`, `npm run syncctl -- <command>`).
 * See lib/cli/main.ts for the commands, and `syncctl --help`.
 *
 * The product's code logs every sync decision at INFO and buffers CloudWatch metrics, as a
 * Lambda should; on a terminal only warnings and errors are wanted (on stderr), and no metrics.
 * Both are read when their modules load, so they are set before the commands are imported.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export {};

const { printLogsReadably } = await import("#lib/local/readable-logs");
printLogsReadably(process.stderr);
const { runSyncctl } = await import("#lib/cli/main");
const code = await runSyncctl(process.argv.slice(2));
// The AWS SDK's keep-alive sockets would hold the process open for a while: exit once the output
// has been handed to the operating system.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write("", resolve))));
process.exit(code);
