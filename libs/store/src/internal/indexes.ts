import { InvalidOperationError } from '../errors';
import type { IndexSpec } from '../types';

/** An index as both backends create it: `tenantId` first, then the declared fields. */
export interface ResolvedIndex {
  readonly name: string;
  /** Declared fields, without tenantId. */
  readonly fields: readonly string[];
  readonly directions: readonly (1 | -1)[];
  readonly unique: boolean;
  readonly sparse: boolean;
  /** MongoDB: the index does not lead with tenantId (see IndexSpec.crossTenant). */
  readonly crossTenant: boolean;
}

/** Validates an index declaration and names it as MongoDB would (`tenantId_1_email_1`). */
export function resolveIndex(collection: string, spec: IndexSpec): ResolvedIndex {
  const entries = Object.entries(spec.key);
  if (entries.length === 0) throw new InvalidOperationError(`an index of ${collection} has no fields`);
  for (const [field, dir] of entries) {
    if (field === 'tenantId' || field.startsWith('tenantId.')) throw new InvalidOperationError(`index of ${collection}: tenantId is added by the store, do not declare it`);
    if (field === '' || field.startsWith('$') || field.split('.').some((p) => p === '')) throw new InvalidOperationError(`index of ${collection}: invalid field name`);
    if (dir !== 1 && dir !== -1) throw new InvalidOperationError(`index of ${collection}: direction of ${field} must be 1 or -1`);
  }
  if (spec.crossTenant === true && spec.unique === true) throw new InvalidOperationError(`index of ${collection}: a cross-tenant index cannot be unique (uniqueness is per tenant)`);
  const name = spec.name ?? [...(spec.crossTenant === true ? [] : ['tenantId_1']), ...entries.map(([f, d]) => `${f}_${d}`)].join('_');
  return {
    name,
    fields: entries.map(([f]) => f),
    directions: entries.map(([, d]) => d),
    unique: spec.unique === true,
    sparse: spec.sparse === true,
    crossTenant: spec.crossTenant === true,
  };
}

/** Checks a collection's expiry option: a plain field name and a positive number of seconds. */
export function checkExpiry(collection: string, expiry: { field: string; seconds: number }): void {
  const { field, seconds } = expiry;
  if (typeof field !== 'string' || field === '' || field === 'tenantId' || field === '_id' || field.startsWith('$') || field.split('.').some((p) => p === '')) {
    throw new InvalidOperationError(`expiry of ${collection}: invalid field name`);
  }
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 1) throw new InvalidOperationError(`expiry of ${collection}: seconds must be a number ≥ 1`);
}
