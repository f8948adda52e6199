import type { ConfigVariable } from './kit-config';

/** Markers around the generated table in a README. */
export const CONFIG_TABLE_BEGIN = '<!-- config-table:begin -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

/** The Markdown table documenting environment variables (a README section, checked by tests). */
export function renderConfigTable(variables: readonly ConfigVariable[]): string {
  const rows = variables.map((v) => {
    const fallback = v.default !== undefined ? `\`${v.default}\`` : v.required ? '**required**' : 'unset';
    return `| \`${v.name}\` | ${fallback} | ${v.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

/** `readme` with the text between the table markers replaced by `table`. */
export function replaceConfigTable(readme: string, table: string): string {
  const begin = readme.indexOf(CONFIG_TABLE_BEGIN);
  const end = readme.indexOf(CONFIG_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README lacks ${CONFIG_TABLE_BEGIN} ... ${CONFIG_TABLE_END}`);
  return `${readme.slice(0, begin + CONFIG_TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
