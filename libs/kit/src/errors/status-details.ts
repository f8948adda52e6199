import { Metadata, status } from '@grpc/grpc-js';
import { googleProtobuf, googleRpc } from '@continuum/contracts';
import { InvalidArgumentError, type DomainError, type FieldViolation } from './domain-errors';

/** The trailer in which gRPC carries a serialized google.rpc.Status. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const TYPE_PREFIX = 'type.googleapis.com/';
const ERROR_INFO_TYPE = `${TYPE_PREFIX}google.rpc.ErrorInfo`;
const BAD_REQUEST_TYPE = `${TYPE_PREFIX}google.rpc.BadRequest`;

/** The rich error of a failed call, as a client reads it back. */
export interface StatusDetails {
  readonly code: number;
  readonly message: string;
  readonly errorInfo?: { readonly reason: string; readonly domain: string; readonly metadata: Record<string, string> };
  readonly badRequest?: { readonly fieldViolations: FieldViolation[] };
}

/**
 * The google.rpc.Status of a domain error (AIP-193): always an ErrorInfo (reason, the service's
 * domain, metadata), plus BadRequest with every field violation for invalid input.
 */
export function encodeStatusDetails(error: DomainError, domain: string): Buffer {
  const details: googleProtobuf.Any[] = [
    {
      typeUrl: ERROR_INFO_TYPE,
      value: Buffer.from(googleRpc.ErrorInfo.encode({ reason: error.reason, domain, metadata: { ...error.metadata } }).finish()),
    },
  ];
  if (error instanceof InvalidArgumentError) {
    details.push({
      typeUrl: BAD_REQUEST_TYPE,
      value: Buffer.from(googleRpc.BadRequest.encode({
        fieldViolations: error.violations.map((v) => ({
          field: v.field,
          description: v.description,
          reason: v.reason ?? '',
          localizedMessage: undefined,
        })),
      }).finish()),
    });
  }
  return Buffer.from(googleRpc.Status.encode({ code: error.code, message: error.message, details }).finish());
}

/** Trailing metadata carrying the status details of a domain error. */
export function statusDetailsMetadata(error: DomainError, domain: string): Metadata {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(error, domain));
  return metadata;
}

/**
 * Reads `grpc-status-details-bin` from the metadata of a failed call (a client `ServiceError`'s
 * `metadata`, or the error itself). Returns undefined when the server sent no details.
 */
export function decodeStatusDetails(source: Metadata | { readonly metadata?: Metadata } | undefined): StatusDetails | undefined {
  const metadata = source instanceof Metadata ? source : source?.metadata;
  const raw = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (raw === undefined || typeof raw === 'string') return undefined;
  const decoded = googleRpc.Status.decode(raw);
  let errorInfo: StatusDetails['errorInfo'];
  let badRequest: StatusDetails['badRequest'];
  for (const detail of decoded.details) {
    if (detail.typeUrl === ERROR_INFO_TYPE) {
      const info = googleRpc.ErrorInfo.decode(detail.value);
      errorInfo = { reason: info.reason, domain: info.domain, metadata: { ...info.metadata } };
    } else if (detail.typeUrl === BAD_REQUEST_TYPE) {
      const request = googleRpc.BadRequest.decode(detail.value);
      badRequest = {
        fieldViolations: request.fieldViolations.map((v) => ({ field: v.field, description: v.description, reason: v.reason })),
      };
    }
  }
  return {
    code: decoded.code,
    message: decoded.message,
    ...(errorInfo ? { errorInfo } : {}),
    ...(badRequest ? { badRequest } : {}),
  };
}

/** Whether a value is a grpc-js client error (`ServiceError`). */
export function isServiceError(value: unknown): value is Error & { code: status; details: string; metadata: Metadata } {
  return (
    value instanceof Error &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { details?: unknown }).details === 'string' &&
    (value as { metadata?: unknown }).metadata instanceof Metadata
  );
}
