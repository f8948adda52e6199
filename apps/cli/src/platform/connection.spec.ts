import { Metadata, status } from '@grpc/grpc-js';
import { encodeStatusDetails, InvalidArgumentError } from '@continuum/kit';
import { PlatformCallError, PlatformUnreachableError } from '../errors';
import { describeCallError } from './connection';

function serviceError(code: status, details: string, metadata = new Metadata()) {
  return Object.assign(new Error(details), { code, details, metadata });
}

describe('describeCallError', () => {
  it('names service, method, code, ErrorInfo reason and the invalid fields', () => {
    const metadata = new Metadata();
    const domainError = new InvalidArgumentError([{ field: 'touchpoint.channel', description: 'is required' }]);
    metadata.set('grpc-status-details-bin', encodeStatusDetails(domainError, 'context.continuum.dev'));
    const error = describeCallError(serviceError(status.INVALID_ARGUMENT, 'bad', metadata), 'context', 'recordTouchpoint', 'localhost:50052');
    expect(error).toBeInstanceOf(PlatformCallError);
    expect(error.message).toBe(`context recordTouchpoint failed: INVALID_ARGUMENT — ${domainError.reason} — touchpoint.channel: is required`);
    expect((error as PlatformCallError).code).toBe('INVALID_ARGUMENT');
  });

  it('turns UNAVAILABLE into the unreachable error with the start command', () => {
    const error = describeCallError(serviceError(status.UNAVAILABLE, 'No connection established'), 'routing', 'submitTask', 'localhost:50053');
    expect(error).toBeInstanceOf(PlatformUnreachableError);
    expect(error.message).toContain('routing service at localhost:50053 (No connection established)');
  });

  it('tells how to authenticate when the platform checks tokens', () => {
    const error = describeCallError(serviceError(status.UNAUTHENTICATED, 'invalid token'), 'identity', 'resolve', 'localhost:50051');
    expect(error.message).toContain('identity resolve failed: UNAUTHENTICATED');
    expect(error.message).toContain('--token');
  });

  it('passes other errors through unchanged', () => {
    const plain = new TypeError('boom');
    expect(describeCallError(plain, 'identity', 'resolve', 'x:1')).toBe(plain);
  });
});
