import { z } from 'zod';

/** Small zod builders for environment values, with messages that say what a valid value is. */

/** A TCP port (0 asks the OS for a free one, which tests and the all-in-one use). */
export const portVar = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) <= 65535, { message: 'must be a port number 0-65535' })
    .transform(Number);

/** A whole number within [min, max]. */
export const intVar = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
      message: `must be a whole number between ${min} and ${max}`,
    })
    .transform(Number);

/** A comma-separated list, trimmed, without empty items. */
export const listVar = (fallback: readonly string[]) =>
  z
    .string()
    .default(fallback.join(','))
    .transform((v) =>
      v
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    );

/** An absolute http(s) URL. */
export const urlVar = () =>
  z
    .string()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), { message: 'must be an http(s) URL' })
    .optional();
