import { AbortedError, FailedPreconditionError, NotFoundError } from '@continuum/kit';
import type { Case, CaseStatus } from '../domain';
import { CaseClosed, CaseOpened, CaseReassigned, casePayload } from '../events/context-events';
import { repositoriesFor } from '../store/repositories';
import type { CoreDeps } from './deps';
import { once } from './idempotency';
import { newDocumentId, newResourceId } from './ids';
import { resolveOwner } from './owners';

const caseNotFound = (): NotFoundError => new NotFoundError('CASE_NOT_FOUND', 'no such case');

export interface OpenCaseInput {
  readonly profileId: string;
  readonly subject: string;
  readonly ownerAgentId: string;
  readonly teamId: string;
}

export async function openCase(deps: CoreDeps, tenantId: string, input: OpenCaseInput, requestId: string): Promise<Case> {
  const repos = repositoriesFor(deps.store, tenantId);
  const owner = await resolveOwner(repos, input.profileId);
  if (owner.erased) throw new FailedPreconditionError('PROFILE_ERASED', 'the profile was erased');
  const kase = await once(deps, repos, 'OpenCase', requestId, input, async (session) => {
    const now = deps.clock();
    const c: Case = {
      caseId: newResourceId('cas'),
      profileId: owner.profileId,
      originProfileId: input.profileId,
      subject: input.subject,
      status: 'open',
      ownerAgentId: input.ownerAgentId,
      teamId: input.teamId,
      channels: [],
      touchpointCount: 0,
      openTime: now,
      updateTime: now,
      resolution: '',
      version: 1,
    };
    await repos.cases.insert(c, newDocumentId(), session);
    await deps.outbox.append(session, CaseOpened, { tenantId, subjectProfileId: c.profileId, payload: { case: casePayload(c) } });
    return { resourceId: c.caseId, result: c };
  });
  deps.hub.notify(tenantId, [kase.profileId, input.profileId], { kind: 'case', id: kase.caseId });
  return kase;
}

export interface UpdateCaseInput {
  readonly caseId: string;
  readonly ownerAgentId?: string;
  readonly teamId?: string;
  readonly status?: Exclude<CaseStatus, 'closed'>;
  readonly subject?: string;
  readonly expectedVersion: number;
}

export async function updateCase(deps: CoreDeps, tenantId: string, input: UpdateCaseInput, requestId: string): Promise<Case> {
  const repos = repositoriesFor(deps.store, tenantId);
  const kase = await once(deps, repos, 'UpdateCase', requestId, input, async (session) => {
    const current = await repos.cases.get(input.caseId, { session });
    if (!current) throw caseNotFound();
    if (current.status === 'closed') throw new FailedPreconditionError('CASE_CLOSED', 'the case is closed', { case_id: current.caseId });
    if (input.expectedVersion !== 0 && input.expectedVersion !== current.version) {
      throw new AbortedError('VERSION_MISMATCH', `the case is at version ${current.version}`, { version: String(current.version) });
    }
    const next: Case = {
      ...current,
      ownerAgentId: input.ownerAgentId ?? current.ownerAgentId,
      teamId: input.teamId ?? current.teamId,
      status: input.status ?? current.status,
      subject: input.subject ?? current.subject,
      updateTime: deps.clock(),
      version: current.version + 1,
    };
    if (!(await repos.cases.replace(next, session))) throw new AbortedError('CONCURRENT_UPDATE', 'the case changed meanwhile; retry');
    if (next.ownerAgentId !== current.ownerAgentId || next.teamId !== current.teamId) {
      await deps.outbox.append(session, CaseReassigned, {
        tenantId,
        subjectProfileId: next.profileId,
        payload: { case: casePayload(next), previousOwnerAgentId: current.ownerAgentId, previousTeamId: current.teamId },
      });
    }
    return { resourceId: next.caseId, result: next };
  });
  deps.hub.notify(tenantId, [kase.profileId], { kind: 'case', id: kase.caseId });
  return kase;
}

export async function closeCase(deps: CoreDeps, tenantId: string, caseId: string, resolution: string, requestId: string): Promise<Case> {
  const repos = repositoriesFor(deps.store, tenantId);
  const kase = await once(deps, repos, 'CloseCase', requestId, { caseId, resolution }, async (session) => {
    const current = await repos.cases.get(caseId, { session });
    if (!current) throw caseNotFound();
    if (current.status === 'closed') throw new FailedPreconditionError('CASE_CLOSED', 'the case is already closed', { case_id: current.caseId });
    const now = deps.clock();
    const next: Case = { ...current, status: 'closed', resolution, closeTime: now, updateTime: now, version: current.version + 1 };
    if (!(await repos.cases.replace(next, session))) throw new AbortedError('CONCURRENT_UPDATE', 'the case changed meanwhile; retry');
    await deps.outbox.append(session, CaseClosed, { tenantId, subjectProfileId: next.profileId, payload: { case: casePayload(next) } });
    return { resourceId: next.caseId, result: next };
  });
  deps.hub.notify(tenantId, [kase.profileId], { kind: 'case', id: kase.caseId });
  return kase;
}

export async function getCase(deps: CoreDeps, tenantId: string, caseId: string): Promise<Case> {
  const kase = await repositoriesFor(deps.store, tenantId).cases.get(caseId);
  if (!kase) throw caseNotFound();
  return kase;
}

export async function listCases(
  deps: CoreDeps,
  tenantId: string,
  filter: { profileId?: string; ownerAgentId?: string; status?: CaseStatus },
  page: { pageSize: number; pageToken: string },
) {
  const repos = repositoriesFor(deps.store, tenantId);
  const profileId = filter.profileId ? (await resolveOwner(repos, filter.profileId)).profileId : undefined;
  return repos.cases.list({ ...filter, profileId }, page);
}
