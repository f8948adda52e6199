/**
 * Pure text layout of the human output: headings, who-sees-what lines and aligned fields. No I/O
 * and no clock (times are passed in), so the layout is unit-tested exactly.
 */

/** Who sees a line of the demo. */
export type Party = 'customer' | 'channel' | 'agent' | 'supervisor' | 'platform';

/** One labelled value under a line; the order given is the order shown. */
export type Fields = ReadonlyArray<readonly [label: string, value: string | number | boolean | undefined]>;

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  party(party: Party, text: string): string;
}

export const plainStyle: Style = { bold: (t) => t, dim: (t) => t, party: (_p, t) => t };

/** ANSI colours for a terminal that wants them (stdout is a TTY and NO_COLOR is unset). */
export const ansiStyle: Style = {
  bold: (t) => `\x1b[1m${t}\x1b[22m`,
  dim: (t) => `\x1b[2m${t}\x1b[22m`,
  party: (p, t) => `\x1b[${PARTY_COLOURS[p]}m${t}\x1b[39m`,
};

const PARTY_COLOURS: Record<Party, number> = { customer: 36, channel: 34, agent: 32, supervisor: 35, platform: 33 };

const PARTY_WIDTH = 'supervisor'.length;
const INDENT = '  ';
const VALUE_INDENT = INDENT + ' '.repeat(PARTY_WIDTH + 2);

/** The banner of a scenario: its name and title, then the target as aligned fields. */
export function renderScenarioHeader(name: string, title: string, fields: Fields, style: Style = plainStyle): string[] {
  const heading = `${name} — ${title}`;
  return [style.bold(heading), style.bold('═'.repeat(heading.length)), ...renderFields(fields, INDENT), ''];
}

/** The heading of one interaction, with the trace it made (so a reader can find it in a tracing UI). */
export function renderInteractionHeading(label: string, title: string, traceId: string | undefined, style: Style = plainStyle): string[] {
  const lines = ['', style.bold(`▸ ${label}. ${title}`)];
  if (traceId) lines.push(style.dim(`${INDENT}trace ${traceId}`));
  return lines;
}

/** `  agent       text` followed by the fields aligned under the text. */
export function renderPartyLine(party: Party, text: string, fields: Fields = [], style: Style = plainStyle): string[] {
  const label = style.party(party, party.padEnd(PARTY_WIDTH));
  const [first = '', ...more] = text.split('\n');
  return [`${INDENT}${label}  ${first}`, ...more.map((line) => `${VALUE_INDENT}${line}`), ...renderFields(fields, VALUE_INDENT)];
}

/** Fields as `label  value` with the values in one column; undefined or empty values are left out. */
export function renderFields(fields: Fields, indent: string): string[] {
  const shown = fields.filter(([, value]) => value !== undefined && value !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.flatMap(([label, value]) => {
    const [first = '', ...rest] = String(value).split('\n');
    const pad = ' '.repeat(width + 2);
    return [`${indent}${label.padEnd(width)}  ${first}`, ...rest.map((line) => `${indent}${pad}${line}`)];
  });
}

/** A table with a header row; columns as wide as their widest cell. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = VALUE_INDENT): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** `3 min ago`, `in 20 s`, `2 days ago`: how long before (or after) `now`. */
export function relativeTime(when: Date | undefined, now: Date): string {
  if (!when) return '';
  const seconds = Math.round((now.getTime() - when.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const amount =
    abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 172_800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86_400)} days`;
  if (abs < 1) return 'now';
  return seconds >= 0 ? `${amount} ago` : `in ${amount}`;
}

/** `a → b → c` */
export function arrow(items: readonly string[]): string {
  return items.join(' → ');
}

/** A number without needless decimals: 2 → `2`, 0.5 → `0.5`, 1/3 → `0.33`. */
export function shortNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

/** Milliseconds for people: `850 ms`, `2.4 s`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
