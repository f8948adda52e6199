/**
 * The `continuum` command.
 *
 *   npm run continuum -- up
 *   npm run continuum -- demo web-then-call
 *   npm run continuum -- inspect context <profile id> --tenant <tenant>
 *
 * (or `node --conditions=@continuum/source --import tsx apps/cli/src/main.ts ...`)
 */
import { startTelemetry, type Telemetry } from '@continuum/kit';
import { parseCommandLine, usage, type Command } from './args';
import { CliError, EXIT, UsageError } from './errors';
import { inspect } from './inspect';
import { humanReporter, jsonReporter } from './output/reporter';
import { playScenario } from './scenarios';
import { SCENARIOS } from './scenarios/catalogue';
import { up } from './up';

const VERSION = '0.1.0';

async function main(argv: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv, process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`continuum: ${error.message}\nRun "continuum help" for usage.\n`);
      return EXIT.usage;
    }
    throw error;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(usage(command.topic) + '\n');
      return EXIT.ok;
    case 'version':
      process.stdout.write(`continuum ${VERSION}\n`);
      return EXIT.ok;
    case 'demo-list':
      process.stdout.write(
        command.json
          ? JSON.stringify(SCENARIOS, null, 2) + '\n'
          : SCENARIOS.map((s) => `  ${s.name.padEnd(22)} ${s.title}${s.arrivesWith ? `  (arrives with the ${s.arrivesWith})` : ''}`).join('\n') + '\n',
      );
      return EXIT.ok;
    case 'up':
      return up();
    case 'demo':
    case 'inspect':
      return withTelemetry(() => (command.kind === 'demo' ? demo(command) : inspectCommand(command)));
  }
}

/**
 * Demo and inspect calls are traced: each interaction is the root of its trace, exported like the
 * services' spans (OTEL_EXPORTER_OTLP_ENDPOINT, or the kit's file exporter for tests).
 */
async function withTelemetry(body: () => Promise<number>): Promise<number> {
  let telemetry: Telemetry | undefined;
  try {
    telemetry = startTelemetry({ serviceName: 'continuum-cli', otlpEndpoint: process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] || undefined });
    return await body();
  } finally {
    await telemetry?.shutdown().catch(() => undefined);
  }
}

async function demo(command: Extract<Command, { kind: 'demo' }>): Promise<number> {
  const reporter = command.json ? jsonReporter(process.stderr) : humanReporter(process.stdout, process.stderr, process.env);
  try {
    const { output, error } = await playScenario(command.scenario, command.target, reporter, {
      fallbackSeconds: command.fallbackSeconds,
      waitTimeoutMs: command.waitTimeoutMs,
    });
    if (command.json) process.stdout.write(JSON.stringify(output, null, 2) + '\n');
    if (!output.ok) {
      process.stderr.write(`\n✘ ${command.scenario} failed: ${output.error?.message ?? 'unknown error'}\n`);
      return error instanceof CliError ? error.exitCode : EXIT.failed;
    }
    if (!command.json) {
      process.stdout.write(
        `\n✔ ${command.scenario} played in ${(output.durationMs / 1000).toFixed(1)} s — ${output.interactions.length} interactions, one trace each (tenant ${output.tenant})\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    // Failures before the scenario started (unreachable platform, scenario not available yet).
    const message = error instanceof Error ? error.message : String(error);
    if (command.json) {
      const name = error instanceof Error ? error.name : 'Error';
      process.stdout.write(JSON.stringify({ scenario: command.scenario, tenant: command.target.tenant, ok: false, error: { name, message } }, null, 2) + '\n');
    }
    process.stderr.write(`\n✘ ${message}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failed;
  }
}

async function inspectCommand(command: Extract<Command, { kind: 'inspect' }>): Promise<number> {
  try {
    process.stdout.write((await inspect(command.what, command.id, command.target, command.json)) + '\n');
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(`✘ ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failed;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit explicitly: closed gRPC channels and finished timers are not always released at once,
    // and a command line tool must not linger after it has answered.
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`continuum: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT.failed);
  },
);
