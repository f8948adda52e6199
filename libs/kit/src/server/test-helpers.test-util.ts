import type { ServiceError } from '@grpc/grpc-js';

/** The error a call failed with; fails the test if it succeeded. */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}
