import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig } from '@continuum/kit';
import type { z } from 'zod';
import { allInOneConfigSchema } from './config';
import { HOSTED_SERVICES } from './hosted-services';

// The README's configuration table is what operators read; a variable the code reads but the
// table does not name is a variable nobody will set right.
describe('README configuration table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const schemas: Array<[string, z.ZodObject]> = [
    ['all-in-one', allInOneConfigSchema as unknown as z.ZodObject],
    ...HOSTED_SERVICES.map((s): [string, z.ZodObject] => [s.name, s.schema as unknown as z.ZodObject]),
  ];

  it.each(schemas)('names every variable the %s process reads', (_name, schema) => {
    const missing = describeConfig(schema)
      .map((v) => v.name)
      .filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});
