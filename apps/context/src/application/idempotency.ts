import { InvalidArgumentError } from '@continuum/kit';
import { DuplicateKeyError, type StoreSession } from '@continuum/store';
import { hashRequest } from '../store/requests';
import type { TenantRepositories } from '../store/repositories';
import type { CoreDeps } from './deps';
import { newDocumentId } from './ids';

/**
 * Runs a mutating request once per request id: the first call's answer is stored in the same
 * transaction as its change, and a retry gets that answer back without changing anything. A
 * request id reused for different content is INVALID_ARGUMENT on `request_id`.
 */
export async function once<R>(
  deps: CoreDeps,
  repos: TenantRepositories,
  method: string,
  requestId: string,
  content: unknown,
  body: (session: StoreSession) => Promise<{ resourceId: string; result: R }>,
): Promise<R> {
  const hash = hashRequest(content);
  const replay = async (): Promise<R | undefined> => {
    const prior = await repos.requests.find(method, requestId);
    if (!prior) return undefined;
    if (prior.requestHash !== hash) {
      throw new InvalidArgumentError([{ field: 'request_id', description: 'was already used for a different request', reason: 'REQUEST_ID_REUSED' }]);
    }
    return prior.result as R;
  };
  const earlier = await replay();
  if (earlier !== undefined) return earlier;
  try {
    return await deps.store.withTransaction(async (session) => {
      const { resourceId, result } = await body(session);
      await repos.requests.record(method, requestId, hash, resourceId, result, deps.clock(), newDocumentId(), session);
      return result;
    });
  } catch (err) {
    if (err instanceof DuplicateKeyError && err.keyFields.includes('key')) {
      const winner = await replay();
      if (winner !== undefined) return winner;
    }
    throw err;
  }
}
