import { createHash } from 'node:crypto';
import type { StoreSession, TenantScope } from '@continuum/store';
import { REQUESTS, type RequestDoc } from './collections';

/** Remembers the first answer of each mutating request id, so that a retry changes nothing. */
export class RequestLog {
  private readonly col;

  constructor(scope: TenantScope) {
    this.col = scope.collection<RequestDoc>(REQUESTS);
  }

  async find(method: string, requestId: string, session?: StoreSession): Promise<RequestDoc | undefined> {
    return (await this.col.findOne({ key: `${method}:${requestId}` }, { session })) ?? undefined;
  }

  /** Forgets the answers that were about these resources (erasure: they hold personal data). */
  async deleteForResources(resourceIds: readonly string[], session: StoreSession): Promise<void> {
    if (resourceIds.length > 0) await this.col.deleteMany({ resourceId: { $in: [...resourceIds] } }, { session });
  }

  /** Records the answer; DuplicateKeyError when a concurrent call with the same id won. */
  async record(method: string, requestId: string, requestHash: string, resourceId: string, result: unknown, at: Date, id: string, session: StoreSession): Promise<void> {
    await this.col.insertOne({ _id: id, key: `${method}:${requestId}`, requestHash, resourceId, result, createdAt: at }, { session });
  }
}

/** A stable hash of a request's content (without its request id), to spot a reused id. */
export function hashRequest(content: unknown): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url');
}
