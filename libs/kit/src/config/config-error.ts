/** One variable that failed validation, with what is wrong in words an operator understands. */
export interface ConfigProblem {
  readonly variable: string;
  readonly problem: string;
}

/**
 * Thrown when an environment variable is missing or invalid at start-up. The message names every
 * bad variable so the operator can fix them all in one go; `runMain` prints it and exits 1.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      `invalid configuration: ${problems.map((p) => `${p.variable}: ${p.problem}`).join('; ')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** Names of the offending variables, in order. */
  get variables(): readonly string[] {
    return this.problems.map((p) => p.variable);
  }
}
