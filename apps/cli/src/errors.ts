/**
 * The CLI's failures, each with the exit code it ends the process with. The codes are part of the
 * command's contract (scripts and the e2e suite rely on them): 0 success, 1 a step failed,
 * 2 bad usage, 3 the platform is not reachable, 4 the scenario needs a service not built yet.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  notAvailable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Base of every error the CLI reports as a sentence instead of a stack trace. */
export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
}

/** Thrown when the command line cannot be understood: unknown command, flag or bad value. */
export class UsageError extends CliError {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Thrown when a service of the platform does not answer at its address. */
export class PlatformUnreachableError extends CliError {
  readonly exitCode = EXIT.unreachable;
  constructor(
    readonly service: string,
    readonly address: string,
    detail: string,
  ) {
    super(
      `cannot reach the ${service} service at ${address} (${detail}).\n` +
        `Is the platform running? Start it in another terminal with:\n` +
        `  npm run continuum -- up\n` +
        `or point the CLI at it with --${service} <host:port>.`,
    );
    this.name = 'PlatformUnreachableError';
  }
}

/** Thrown when a scenario needs a service that this version of Continuum does not have yet. */
export class ScenarioNotAvailableError extends CliError {
  readonly exitCode = EXIT.notAvailable;
  constructor(scenario: string, missing: string) {
    super(`scenario ${scenario} arrives with the ${missing}, which is not part of this version of Continuum yet.`);
    this.name = 'ScenarioNotAvailableError';
  }
}

/** Thrown when a step of a scenario does not see what it must (a missing offer, a context that never updates). */
export class ScenarioStepError extends CliError {
  readonly exitCode = EXIT.failed;
  constructor(step: string, problem: string) {
    super(`${step}: ${problem}`);
    this.name = 'ScenarioStepError';
  }
}

/** Thrown when a call to the platform fails; names the service, the method and the gRPC status. */
export class PlatformCallError extends CliError {
  readonly exitCode = EXIT.failed;
  constructor(
    readonly service: string,
    readonly method: string,
    readonly code: string,
    detail: string,
  ) {
    super(`${service} ${method} failed: ${code}${detail ? ` — ${detail}` : ''}`);
    this.name = 'PlatformCallError';
  }
}
