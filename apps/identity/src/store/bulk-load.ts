import type { DocumentStore } from '@continuum/store';
import { CompiledPolicy, defaultPolicy, evaluateSegments, normalizeIdentifier, type Assurance, type IdentifierType, type Traits } from '../domain';
import { COLLECTIONS, profileToDocument, segmentFromDocument, type SegmentDocument } from './documents';
import { defineIdentityCollections } from './identity-repository';

/** One profile to load: raw identifiers (normalized here) and traits. */
export interface BulkProfile {
  readonly id: string;
  readonly identifiers: readonly { readonly type: IdentifierType; readonly value: string; readonly verifiedLevel: Assurance; readonly customType?: string }[];
  readonly traits: Traits;
}

/**
 * Loads profiles straight into the store, for benchmarks, demos and migrations: identifiers are
 * normalized and segments evaluated as Resolve would, but no events are published and no merge
 * rules run, so the caller must give each identifier to one profile only (the unique index
 * refuses a repeat with DuplicateKeyError). Tenants using it must not be live.
 */
export async function bulkLoadProfiles(store: DocumentStore, tenantId: string, profiles: readonly BulkProfile[], options: { defaultPhoneRegion?: string; now?: Date } = {}): Promise<void> {
  await defineIdentityCollections(store);
  const scope = store.forTenant(tenantId);
  const segments = (await scope.collection<SegmentDocument>(COLLECTIONS.segments).find({})).map(segmentFromDocument);
  const policy = new CompiledPolicy(defaultPolicy(options.defaultPhoneRegion ?? ''));
  const now = options.now ?? new Date();
  const docs = profiles.map((p) =>
    profileToDocument({
      id: p.id,
      identifiers: p.identifiers.map((i) => ({
        ...normalizeIdentifier(i.type, i.customType ?? '', i.value, { defaultRegion: policy.policy.defaultPhoneRegion }),
        verifiedLevel: i.verifiedLevel,
        linkedAt: now,
        lastSeenAt: now,
      })),
      traits: p.traits,
      segmentIds: evaluateSegments(segments, p.traits),
      createTime: now,
      updateTime: now,
      version: 1,
    }),
  );
  await scope.collection(COLLECTIONS.profiles).insertMany(docs);
}
