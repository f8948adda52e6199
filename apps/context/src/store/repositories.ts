import type { DocumentStore } from '@continuum/store';
import { CaseRepository } from './cases';
import { FactRepository } from './facts';
import { JourneyDefinitionRepository, JourneyRepository } from './journeys';
import { ProfileRepository } from './profiles';
import { RequestLog } from './requests';
import { TouchpointRepository } from './touchpoints';

/** Every repository of one tenant. */
export interface TenantRepositories {
  readonly tenantId: string;
  readonly touchpoints: TouchpointRepository;
  readonly facts: FactRepository;
  readonly definitions: JourneyDefinitionRepository;
  readonly journeys: JourneyRepository;
  readonly cases: CaseRepository;
  readonly profiles: ProfileRepository;
  readonly requests: RequestLog;
}

/** Builds the repositories of a tenant (cheap: no I/O). */
export function repositoriesFor(store: DocumentStore, tenantId: string): TenantRepositories {
  const scope = store.forTenant(tenantId);
  return {
    tenantId,
    touchpoints: new TouchpointRepository(scope),
    facts: new FactRepository(scope),
    definitions: new JourneyDefinitionRepository(scope),
    journeys: new JourneyRepository(scope),
    cases: new CaseRepository(scope),
    profiles: new ProfileRepository(scope),
    requests: new RequestLog(scope),
  };
}
