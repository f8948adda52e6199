/**
 * Keys that carry personal data or secrets anywhere in Continuum (identifier values, names,
 * contact details, traits and captured facts, credentials) and request/response bodies, which may
 * contain any of them. Their values are replaced before a line is written.
 */
export const REDACTED_KEYS: readonly string[] = [
  'email', 'phone', 'phone_number', 'phoneNumber', 'value', 'identifier', 'identifiers',
  'name', 'first_name', 'firstName', 'last_name', 'lastName', 'display_name', 'displayName',
  'address', 'street', 'postal_code', 'postalCode', 'birth_date', 'birthDate', 'ip', 'ip_address',
  'traits', 'facts', 'token', 'access_token', 'accessToken', 'authorization', 'password', 'secret',
  'cookie', 'request', 'response', 'body', 'payload',
];

/** Depth down to which a key is found in a logged object (pino redaction has no `**`). */
const DEPTH = 3;

/** pino `redact.paths` for every key at every depth up to DEPTH. */
export function redactionPaths(keys: readonly string[] = REDACTED_KEYS): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    for (let depth = 0; depth < DEPTH; depth++) paths.push(`${'*.'.repeat(depth)}${key}`);
  }
  return paths;
}

export const REDACTED = '[REDACTED]';
