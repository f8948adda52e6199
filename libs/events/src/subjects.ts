import { InvalidArgumentError, TENANT_ID_PATTERN, type FieldViolation } from '@continuum/kit';

/**
 * Subject scheme: `continuum.<tenant>.<domain>.<type>`, e.g. `continuum.acme.identity.profile_merged`.
 * Each domain has one stream, `CONTINUUM_<DOMAIN>`, capturing `continuum.*.<domain>.>`; dead
 * letters go to `CONTINUUM_DLQ` on `dlq.<original subject>` (a prefix outside `continuum.` so
 * the domain streams never capture it). Subjects carry no personal data: a tenant id, a domain and
 * a type name only; the customer an event is about travels inside the envelope, never in a subject
 * or a header.
 */
export const SUBJECT_ROOT = 'continuum';
export const DLQ_STREAM = 'CONTINUUM_DLQ';
const DLQ_SUBJECT_PREFIX = 'dlq';

/** Domains: lower-case letters, digits and `_`, starting with a letter. */
const DOMAIN = /^[a-z][a-z0-9_]{0,31}$/;
/** Event types: lower_snake. */
const TYPE = /^[a-z][a-z0-9_]{0,63}$/;
/** Durable consumer names: also used as JetStream consumer names. */
const DURABLE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const TOKEN_RULE = 'must be a single subject token: no dots, wildcards (* >) or spaces';

export function tenantViolation(tenantId: string, field = 'tenant_id'): FieldViolation | undefined {
  if (!tenantId) return { field, description: 'is required', reason: 'REQUIRED' };
  if (!TENANT_ID_PATTERN.test(tenantId)) {
    return { field, description: `${TOKEN_RULE}; lower-case letters, digits and - only, at most 63`, reason: 'INVALID_FORMAT' };
  }
  return undefined;
}

export function domainViolation(domain: string, field = 'domain'): FieldViolation | undefined {
  if (!domain) return { field, description: 'is required', reason: 'REQUIRED' };
  if (!DOMAIN.test(domain)) return { field, description: `${TOKEN_RULE}; lower-case letters, digits and _`, reason: 'INVALID_FORMAT' };
  return undefined;
}

export function typeViolation(type: string, field = 'type'): FieldViolation | undefined {
  if (!type) return { field, description: 'is required', reason: 'REQUIRED' };
  if (!TYPE.test(type)) return { field, description: `${TOKEN_RULE}; lower_snake`, reason: 'INVALID_FORMAT' };
  return undefined;
}

export function durableViolation(durable: string, field = 'durable'): FieldViolation | undefined {
  if (!durable) return { field, description: 'is required', reason: 'REQUIRED' };
  if (!DURABLE.test(durable)) return { field, description: `${TOKEN_RULE}; letters, digits, - and _`, reason: 'INVALID_FORMAT' };
  return undefined;
}

function check(violations: readonly (FieldViolation | undefined)[]): void {
  const found = violations.filter((v): v is FieldViolation => v !== undefined);
  if (found.length > 0) throw new InvalidArgumentError(found);
}

/** The parts of an event subject. */
export interface SubjectParts {
  readonly tenantId: string;
  readonly domain: string;
  readonly type: string;
}

/** `continuum.<tenant>.<domain>.<type>`; throws InvalidArgumentError naming each bad token. */
export function eventSubject(parts: SubjectParts): string {
  check([tenantViolation(parts.tenantId), domainViolation(parts.domain), typeViolation(parts.type)]);
  return `${SUBJECT_ROOT}.${parts.tenantId}.${parts.domain}.${parts.type}`;
}

/** The parts of `continuum.<tenant>.<domain>.<type>`, or InvalidArgumentError (field `subject`). */
export function parseEventSubject(subject: string): SubjectParts {
  const tokens = subject.split('.');
  if (tokens.length !== 4 || tokens[0] !== SUBJECT_ROOT) {
    throw new InvalidArgumentError([
      { field: 'subject', description: `must be ${SUBJECT_ROOT}.<tenant>.<domain>.<type>`, reason: 'INVALID_FORMAT' },
    ]);
  }
  const [, tenantId = '', domain = '', type = ''] = tokens;
  check([tenantViolation(tenantId, 'subject.tenant'), domainViolation(domain, 'subject.domain'), typeViolation(type, 'subject.type')]);
  return { tenantId, domain, type };
}

/** `CONTINUUM_<DOMAIN>`: the stream of one domain. */
export function streamName(domain: string): string {
  check([domainViolation(domain)]);
  return `${SUBJECT_ROOT.toUpperCase()}_${domain.toUpperCase()}`;
}

/** `continuum.*.<domain>.>`: what the domain's stream captures. */
export function streamSubjects(domain: string): string {
  check([domainViolation(domain)]);
  return `${SUBJECT_ROOT}.*.${domain}.>`;
}

/** The filter of a consumer reading `type` (or every type when undefined) of all tenants. */
export function consumerFilter(domain: string, type?: string): string {
  return type === undefined ? streamSubjects(domain) : `${SUBJECT_ROOT}.*.${domain}.${type}`;
}

/** Where a dead letter of `subject` goes. */
export function deadLetterSubject(subject: string): string {
  return `${DLQ_SUBJECT_PREFIX}.${subject}`;
}

/** `dlq.continuum.>`: what the dead-letter stream captures. */
export function deadLetterStreamSubjects(): string {
  return deadLetterSubject(`${SUBJECT_ROOT}.>`);
}

export function validateDurable(durable: string): void {
  check([durableViolation(durable, 'spec.durable')]);
}

export function validateDomain(domain: string, field = 'domain'): void {
  check([domainViolation(domain, field)]);
}
