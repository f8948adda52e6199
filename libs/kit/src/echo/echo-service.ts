import { setTimeout as sleep } from 'node:timers/promises';
import { testingV1 } from '@continuum/contracts';
import { NotFoundError } from '../errors/domain-errors';
import { Violations } from '../errors/violations';
import type { CallContext, ServiceRegistration } from '../server/types';

/** Scope that every Echo method requires. */
export const ECHO_SCOPE = 'echo.read';
/** ErrorInfo domain of the Echo service. */
export const ECHO_DOMAIN = 'echo.continuum.dev';

const MAX_MESSAGE = 1024;
const MAX_DELAY_MS = 30_000;

/**
 * continuum.testing.v1.EchoService on the kit: the kit's tests use it to exercise every
 * behaviour of the call pipeline, and benchmarks use it as the cost of one round trip with no
 * domain work. It validates like a real service and fails on request like one.
 */
export function createEchoRegistration(): ServiceRegistration<typeof testingV1.EchoServiceService> {
  return {
    definition: testingV1.EchoServiceService,
    scopes: { echo: ECHO_SCOPE, echoStream: ECHO_SCOPE },
    handlers: {
      echo: async (request: testingV1.EchoRequest, ctx: CallContext): Promise<testingV1.EchoResponse> => {
        const delayMs = validate(request);
        if (request.failWith === testingV1.FailureMode.FAILURE_MODE_NOT_FOUND) {
          throw new NotFoundError('ECHO_NOT_FOUND', 'nothing to echo here', { resource: 'echo' });
        }
        if (request.failWith === testingV1.FailureMode.FAILURE_MODE_UNEXPECTED) {
          // Stands for any bug or library error; its message must never reach the client.
          throw new Error(`secret internals: connection string mongodb://admin:hunter2@db for ${request.message}`);
        }
        if (delayMs > 0) await sleep(delayMs, undefined, { signal: ctx.signal });
        return { message: request.message, tenantId: ctx.tenantId };
      },
      echoStream: async function* (requests: AsyncIterable<testingV1.EchoStreamRequest>): AsyncIterable<testingV1.EchoStreamResponse> {
        for await (const request of requests) yield { message: request.message };
      },
    },
  };
}

/** Checks every field at once; returns the delay in ms. */
function validate(request: testingV1.EchoRequest): number {
  const v = new Violations();
  v.required('message', request.message);
  v.maxLength('message', request.message, MAX_MESSAGE);
  // fail_with is optional (UNSPECIFIED = do not fail) but must be a known value.
  if (request.failWith < 0 || testingV1.FailureMode[request.failWith] === undefined) {
    v.add('fail_with', `unknown value ${request.failWith}`, 'UNKNOWN_ENUM_VALUE');
  }
  const delayMs = request.delay ? request.delay.seconds * 1000 + Math.floor(request.delay.nanos / 1e6) : 0;
  if (request.delay && (request.delay.seconds < 0 || request.delay.nanos < 0)) v.add('delay', 'must not be negative', 'OUT_OF_RANGE');
  v.range('delay', delayMs, 0, MAX_DELAY_MS);
  v.throwIfAny();
  return delayMs;
}
