import {
  ansiStyle,
  duration,
  plainStyle,
  renderInteractionHeading,
  renderPartyLine,
  renderScenarioHeader,
  renderTable,
  type Fields,
  type Party,
  type Style,
} from './render';

/** One line of what a party saw, as the JSON output records it. */
export interface StepRecord {
  /** The interaction it belongs to (its key), or undefined outside one. */
  readonly interaction: string | undefined;
  readonly party: Party;
  readonly text: string;
  readonly fields: Record<string, string>;
  readonly table?: { readonly header: readonly string[]; readonly rows: ReadonlyArray<readonly string[]> };
}

/** A long wait shown while it lasts. */
export interface Progress {
  update(text: string): void;
  /** Ends it; the final text replaces the running one on a terminal. */
  done(text?: string): void;
  /** Ends it as a failure. */
  fail(text: string): void;
}

/** Where a scenario tells what each party sees. */
export interface Reporter {
  header(name: string, title: string, fields: Fields): void;
  interaction(key: string, label: string, title: string, traceId: string): void;
  say(party: Party, text: string, fields?: Fields): void;
  table(party: Party, text: string, header: readonly string[], rows: ReadonlyArray<readonly string[]>): void;
  progress(text: string): Progress;
  /** Lines for the end of a human run (hints); JSON output ignores them. */
  footer(lines: readonly string[]): void;
  readonly steps: readonly StepRecord[];
}

export interface Sink {
  write(text: string): void;
}

export interface TerminalSink extends Sink {
  readonly isTTY?: boolean;
}

/** Records every step (for --json) and, in human mode, prints it as it happens. */
class BaseReporter implements Reporter {
  readonly steps: StepRecord[] = [];
  private current: string | undefined;

  constructor(
    private readonly out: Sink | undefined,
    private readonly err: TerminalSink,
    private readonly style: Style,
    private readonly now: () => number,
  ) {}

  header(name: string, title: string, fields: Fields): void {
    this.print(renderScenarioHeader(name, title, fields, this.style));
  }

  interaction(key: string, label: string, title: string, traceId: string): void {
    this.current = key;
    this.print(renderInteractionHeading(label, title, traceId, this.style));
  }

  say(party: Party, text: string, fields: Fields = []): void {
    this.steps.push({ interaction: this.current, party, text, fields: fieldRecord(fields) });
    this.print(renderPartyLine(party, text, fields, this.style));
  }

  table(party: Party, text: string, header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
    this.steps.push({ interaction: this.current, party, text, fields: {}, table: { header, rows } });
    this.print([...renderPartyLine(party, text, [], this.style), ...renderTable(header, rows)]);
  }

  footer(lines: readonly string[]): void {
    this.print(['', ...lines]);
  }

  progress(text: string): Progress {
    const started = this.now();
    const tty = this.err.isTTY === true;
    let last = text;
    const elapsed = () => duration(this.now() - started);
    const end = (line: string): void => {
      if (tty) this.err.write(`\r\x1b[2K${line}\n`);
      else this.err.write(`${line}\n`);
    };
    // On a terminal the line is rewritten in place; in a log, one line at the start and one at the end.
    if (tty) this.err.write(`  … ${text}`);
    else this.err.write(`  … ${text}\n`);
    return {
      update: (next) => {
        last = next;
        if (tty) this.err.write(`\r\x1b[2K  … ${next} (${elapsed()})`);
      },
      done: (final) => end(`  ✓ ${final ?? last} (${elapsed()})`),
      fail: (final) => end(`  ✘ ${final} (${elapsed()})`),
    };
  }

  private print(lines: readonly string[]): void {
    this.out?.write(lines.join('\n') + '\n');
  }
}

/** The human reporter: readable lines on stdout, progress on stderr. */
export function humanReporter(out: TerminalSink, err: TerminalSink, env: Readonly<Record<string, string | undefined>>, now = Date.now): Reporter {
  const colour = out.isTTY === true && env['NO_COLOR'] === undefined && env['TERM'] !== 'dumb';
  return new BaseReporter(out, err, colour ? ansiStyle : plainStyle, now);
}

/** The --json reporter: nothing on stdout until the final document; progress on stderr. */
export function jsonReporter(err: TerminalSink, now = Date.now): Reporter {
  return new BaseReporter(undefined, err, plainStyle, now);
}

function fieldRecord(fields: Fields): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [label, value] of fields) if (value !== undefined && value !== '') record[label] = String(value);
  return record;
}

