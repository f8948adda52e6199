import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigTable, replaceConfigTable } from './config-table';
import { kitConfigVariables } from './kit-config';

const README = join(__dirname, '..', '..', 'README.md');

describe('the README configuration table', () => {
  it('matches kitConfigSchema (regenerate with UPDATE_README=1 npx jest libs/kit/src/config/config-table.spec.ts)', () => {
    const current = readFileSync(README, 'utf8');
    const expected = replaceConfigTable(current, renderConfigTable(kitConfigVariables));
    if (process.env['UPDATE_README'] === '1') writeFileSync(README, expected);
    expect(current).toBe(expected);
  });

  it('renders defaults, required variables and unset optional ones', () => {
    const table = renderConfigTable([
      { name: 'A', default: '1', required: false, description: 'first | second' },
      { name: 'B', default: undefined, required: true, description: 'needed' },
      { name: 'C', default: undefined, required: false, description: 'optional' },
    ]);
    expect(table.split('\n').slice(2)).toEqual([
      '| `A` | `1` | first \\| second |',
      '| `B` | **required** | needed |',
      '| `C` | unset | optional |',
    ]);
  });
});
