import { InvalidArgumentError, type FieldViolation } from './domain-errors';

/** The values of each enum object seen, once: validation runs on every request. */
const enumValues = new WeakMap<object, ReadonlySet<string | number>>();

function valuesOf(known: Record<string, string | number>): ReadonlySet<string | number> {
  let values = enumValues.get(known);
  if (!values) {
    values = new Set(Object.values(known));
    enumValues.set(known, values);
  }
  return values;
}

/**
 * Collects the field violations of one request, so that a caller learns every bad field at once.
 * Handlers validate everything first and call `throwIfAny()` before touching any state.
 *
 *   const v = new Violations();
 *   v.required('profile_id', req.profileId);
 *   v.maxLength('note', req.note, 2000);
 *   v.throwIfAny();
 */
export class Violations {
  private readonly list: FieldViolation[] = [];

  /** Records a violation. */
  add(field: string, description: string, reason = 'INVALID'): this {
    this.list.push({ field, description, reason });
    return this;
  }

  /** A string that must be present (non-empty after trimming). */
  required(field: string, value: string | undefined | null): boolean {
    if (value === undefined || value === null || value.trim() === '') {
      this.add(field, 'is required', 'REQUIRED');
      return false;
    }
    return true;
  }

  /** An enum that must not be its `_UNSPECIFIED` (0) value nor an unknown value. */
  requiredEnum(field: string, value: number | undefined, known: Record<string, string | number>): boolean {
    if (value === undefined || value === 0) {
      this.add(field, 'is required', 'REQUIRED');
      return false;
    }
    if (!valuesOf(known).has(value) || value < 0) {
      this.add(field, `unknown value ${value}`, 'UNKNOWN_ENUM_VALUE');
      return false;
    }
    return true;
  }

  /** A string no longer than `max` characters. */
  maxLength(field: string, value: string | undefined, max: number): boolean {
    if (value !== undefined && value.length > max) {
      this.add(field, `must be at most ${max} characters`, 'TOO_LONG');
      return false;
    }
    return true;
  }

  /** A list no longer than `max` items. */
  maxItems(field: string, value: readonly unknown[] | undefined, max: number): boolean {
    if (value !== undefined && value.length > max) {
      this.add(field, `must have at most ${max} items`, 'TOO_MANY');
      return false;
    }
    return true;
  }

  /** A number within [min, max]. */
  range(field: string, value: number | undefined, min: number, max: number): boolean {
    if (value !== undefined && (!Number.isFinite(value) || value < min || value > max)) {
      this.add(field, `must be between ${min} and ${max}`, 'OUT_OF_RANGE');
      return false;
    }
    return true;
  }

  /** A string matching a pattern; `what` says what it should look like. */
  pattern(field: string, value: string | undefined, re: RegExp, what: string): boolean {
    if (value !== undefined && value !== '' && !re.test(value)) {
      this.add(field, `must be ${what}`, 'INVALID_FORMAT');
      return false;
    }
    return true;
  }

  /** Whether anything was recorded. */
  get any(): boolean {
    return this.list.length > 0;
  }

  /** The violations so far. */
  get violations(): readonly FieldViolation[] {
    return this.list;
  }

  /** Throws an InvalidArgumentError naming every violation, if there is one. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new InvalidArgumentError(this.list);
  }
}
