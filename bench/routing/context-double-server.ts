/**
 * A stand-in for the context service in the routing benchmark, in its own process: a bare grpc-js
 * server implementing the generated ContextService definition, whose GetContext (and BatchGetContext) answers at once
 * with a small context (a segment for one customer in ten, the case owner for one in twenty).
 * It measures routing's cost of asking, not the context service's own (see `## Context`).
 */
import { Server, ServerCredentials, status, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { contextV1 } from '@continuum/contracts';
import type { BenchServer } from '../harness/server-protocol';

export async function start(): Promise<BenchServer> {
  const server = new Server();
  const impl: UntypedServiceImplementation = {};
  for (const name of Object.keys(contextV1.ContextServiceService)) {
    impl[name] = (_call: unknown, callback: (e: Partial<ServiceError>) => void) => callback({ code: status.UNIMPLEMENTED, details: 'not in the double' });
  }
  const answer = (id: string): contextV1.GetContextResponse => {
    const n = Number(/(\d+)$/.exec(id)?.[1] ?? 0);
    return contextV1.GetContextResponse.fromPartial({
      profile: { profileId: id, segmentIds: n % 10 === 0 ? ['vip'] : [] },
      openCases: n % 20 === 0 ? [{ caseId: `cas-${n}`, profileId: id, ownerAgentId: `agt-${n % 50}`, teamId: 'team-1' }] : [],
      likelyIntent: { intent: 'return_item', confidence: 0.8, source: 'active_journey' },
    });
  };
  impl['getContext'] = (call: { request: contextV1.GetContextRequest }, callback: (e: null, r: contextV1.GetContextResponse) => void) => {
    callback(null, answer(call.request.profileId));
  };
  // As the real service: several customers per call (routing batches the asks of a burst).
  impl['batchGetContext'] = (call: { request: contextV1.BatchGetContextRequest }, callback: (e: null, r: contextV1.BatchGetContextResponse) => void) => {
    callback(null, { contexts: call.request.requests.map((r) => answer(r.profileId)) });
  };
  server.addService(contextV1.ContextServiceService, impl);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    info: {},
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
