// Handler tests: every RPC of ContextService through a real gRPC server on a free port and the
// generated client, asserting status codes, ErrorInfo reasons and what was (not) written.
import { status } from '@grpc/grpc-js';
import { commonV1, contextV1 } from '@continuum/contracts';
import { OUTBOX_COLLECTION, outboxEventsOf, type OutboxDocument } from '@continuum/events';
import { waitFor } from '@continuum/testing';
import { CONTEXT_ERROR_DOMAIN, MINUTE, T0, failure, returnItemDefinition, startContext, touchpoint, type ContextFixture } from './fixture';

const { Channel, Purpose, Direction } = commonV1;
const { FactSensitivity, JourneyStatus, CaseStatus, ContextChange } = contextV1;
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);

let f: ContextFixture;
let acme: { tenantId: string; token: string };
let globex: { tenantId: string; token: string };

beforeAll(async () => {
  f = await startContext();
  acme = await f.as('acme');
  globex = await f.as('globex');
});
afterAll(async () => {
  await f.stop();
});

/** Events waiting in (or sent from) the outbox, by type, for a tenant. */
async function outboxTypes(tenantId: string): Promise<string[]> {
  const docs = await f.store.forTenant(tenantId).collection<OutboxDocument>(OUTBOX_COLLECTION).find({}, { sort: { _id: 1 } });
  return outboxEventsOf(docs).map((e) => e.type);
}

/** How many documents every collection of the service holds (to prove nothing was written). */
async function snapshot(): Promise<Record<string, number>> {
  const names = ['context_touchpoints', 'context_facts', 'context_journey_definitions', 'context_journeys', 'context_cases', 'context_profiles', 'context_requests', 'outbox'];
  const out: Record<string, number> = {};
  for (const name of names) out[name] = await f.store.unscoped(name).countDocuments({});
  return out;
}

let profileSeq = 0;
const newProfile = (): string => `prf_test_${++profileSeq}`;

async function defineJourney(tenant = acme, over: Partial<contextV1.JourneyDefinition> = {}): Promise<contextV1.JourneyDefinition> {
  const id = over.journeyDefinitionId ?? `return-item-${++profileSeq}`;
  const res = await f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ ...over, journeyDefinitionId: id }), requestId: `def-${id}` }, tenant);
  if (!res.journeyDefinition) throw new Error('no definition');
  return res.journeyDefinition;
}

describe('RecordTouchpoint', () => {
  it('records a touchpoint with its facts and answers with it as stored', async () => {
    const profileId = newProfile();
    const res = await f.client.recordTouchpoint(
      {
        touchpoint: touchpoint({
          touchpointId: 'web-1',
          profileId,
          intent: 'return_item',
          facts: [{ key: 'order_number', value: '1234', sensitivity: FactSensitivity.FACT_SENSITIVITY_NORMAL, sourceChannel: 0, touchpointId: '', capturedAt: undefined }],
          attributes: { page: 'returns' },
        }),
        requestId: '',
      },
      acme,
    );
    expect(res.alreadyRecorded).toBe(false);
    expect(res.touchpoint).toMatchObject({ touchpointId: 'web-1', profileId, originProfileId: profileId, channel: Channel.CHANNEL_WEB, intent: 'return_item', attributes: { page: 'returns' } });
    expect(res.touchpoint?.recordedAt).toEqual(f.clock.now);
    expect(res.touchpoint?.facts[0]).toMatchObject({ key: 'order_number', value: '1234', sourceChannel: Channel.CHANNEL_WEB, touchpointId: 'web-1', capturedAt: T0 });
  });

  it('is idempotent by touchpoint id: a repeat answers with the first recording and changes nothing', async () => {
    const profileId = newProfile();
    const first = touchpoint({ touchpointId: 'dup-1', profileId, intent: 'first' });
    await f.client.recordTouchpoint({ touchpoint: first, requestId: '' }, acme);
    const before = await snapshot();
    const again = await f.client.recordTouchpoint({ touchpoint: { ...first, intent: 'second', channel: Channel.CHANNEL_SMS }, requestId: '' }, acme);
    expect(again.alreadyRecorded).toBe(true);
    expect(again.touchpoint).toMatchObject({ touchpointId: 'dup-1', intent: 'first', channel: Channel.CHANNEL_WEB });
    expect(await snapshot()).toEqual(before);
    const list = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId }), acme);
    expect(list.touchpoints.map((t) => t.touchpointId)).toEqual(['dup-1']);
  });

  it('publishes touchpoint_recorded through the outbox once, without fact values, summary or attributes', async () => {
    const tenant = await f.as('outbox-check');
    await f.client.recordTouchpoint(
      {
        touchpoint: touchpoint({
          touchpointId: 'ev-1',
          profileId: newProfile(),
          intent: 'damaged_item',
          summary: 'customer typed her address here',
          attributes: { note: 'private-attribute-text' },
          facts: [{ key: 'card_last4', value: '4242', sensitivity: FactSensitivity.FACT_SENSITIVITY_SENSITIVE, sourceChannel: 0, touchpointId: '', capturedAt: undefined }],
        }),
        requestId: '',
      },
      tenant,
    );
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: 'ev-1' }), requestId: '' }, tenant);
    expect(await outboxTypes('outbox-check')).toEqual(['touchpoint_recorded']);
    const [event] = outboxEventsOf(await f.store.forTenant('outbox-check').collection<OutboxDocument>(OUTBOX_COLLECTION).find({}));
    const envelope = Buffer.from(event?.envelope ?? new Uint8Array());
    expect(envelope.includes(Buffer.from('4242'))).toBe(false);
    expect(envelope.includes(Buffer.from('customer typed her address'))).toBe(false);
    expect(envelope.includes(Buffer.from('private-attribute-text'))).toBe(false);
    expect(envelope.includes(Buffer.from('card_last4'))).toBe(true);
    expect(envelope.includes(Buffer.from('damaged_item'))).toBe(true);
  });
});

describe('RecordTouchpoint under concurrency (group commit)', () => {
  it('commits concurrent calls together, answering each with its own outcome, refusals and repeats included', async () => {
    const tenant = await f.as('group');
    const def = await defineJourney(tenant);
    const profiles = Array.from({ length: 6 }, newProfile);
    const transactions = jest.spyOn(f.store, 'withTransaction');
    const calls = Array.from({ length: 60 }, (_, i) => {
      const call = f.client.recordTouchpoint(
          {
            touchpoint: touchpoint({
              touchpointId: i === 59 ? 'grp-0' : `grp-${i}`, // the last one repeats the first id
              profileId: profiles[i % profiles.length],
              occurredAt: at(i),
              agentId: `agent-${i}`,
              ...(i === 7 ? { journeyDefinitionId: def.journeyDefinitionId, journeyStepId: 'no-such-step' } : {}),
              ...(i === 8 ? { journeyDefinitionId: def.journeyDefinitionId, journeyStepId: 'start' } : {}),
            }),
            requestId: '',
          },
        tenant,
      );
      return call.then(
        (res) => ({ ok: res }),
        async () => ({ err: await failure(call) }),
      );
    });
    const results = await Promise.all(calls);
    transactions.mockRestore();
    // Fewer transactions than calls: the calls that arrived while one committed went together.
    expect(transactions.mock.calls.length).toBeLessThan(40);
    expect(results[7]).toMatchObject({ err: { code: status.INVALID_ARGUMENT, fields: ['touchpoint.journey_step_id'] } });
    expect(results[8]).toMatchObject({ ok: { alreadyRecorded: false, touchpoint: { touchpointId: 'grp-8', journeyDefinitionId: def.journeyDefinitionId } } });
    expect(results[0]).toMatchObject({ ok: { alreadyRecorded: false, touchpoint: { touchpointId: 'grp-0', agentId: 'agent-0' } } });
    expect(results[59]).toMatchObject({ ok: { alreadyRecorded: true, touchpoint: { touchpointId: 'grp-0', agentId: 'agent-0' } } });
    for (const [i, r] of results.entries()) if (i !== 7 && i !== 59) expect(r).toMatchObject({ ok: { touchpoint: { touchpointId: `grp-${i}`, agentId: `agent-${i}` } } });
    // Each customer's timeline and summary hold exactly its own recorded touchpoints.
    for (const [p, profileId] of profiles.entries()) {
      const mine = results.flatMap((_, i) => (i % profiles.length === p && i !== 7 && i !== 59 ? [`grp-${i}`] : []));
      const ctx = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 50, factLimit: 0 }, tenant);
      expect(ctx.touchpointCount).toBe(mine.length);
      expect(ctx.recentTouchpoints.map((t) => t.touchpointId).sort()).toEqual([...mine].sort());
    }
    expect((await outboxTypes('group')).filter((t) => t === 'touchpoint_recorded')).toHaveLength(58);
  });
});

describe('ListTouchpoints', () => {
  it('orders the timeline by when things happened: late arrivals land in place', async () => {
    const profileId = newProfile();
    for (const [id, minutes] of [['b', 10], ['a', 0], ['late', 5], ['earliest', -30]] as const) {
      await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: `${profileId}-${id}`, profileId, occurredAt: at(minutes) }), requestId: '' }, acme);
    }
    const list = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId }), acme);
    expect(list.touchpoints.map((t) => t.touchpointId.split('-').pop())).toEqual(['earliest', 'a', 'late', 'b']);
    const newest = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, newestFirst: true }), acme);
    expect(newest.touchpoints.map((t) => t.touchpointId.split('-').pop())).toEqual(['b', 'late', 'a', 'earliest']);
  });

  it('filters by channel and time range and pages with tokens bound to the query', async () => {
    const profileId = newProfile();
    const channels = [Channel.CHANNEL_WEB, Channel.CHANNEL_VOICE, Channel.CHANNEL_WEB, Channel.CHANNEL_EMAIL, Channel.CHANNEL_WEB];
    for (const [i, channel] of channels.entries()) {
      await f.client.recordTouchpoint({ touchpoint: touchpoint({ touchpointId: `${profileId}-${i}`, profileId, channel, occurredAt: at(i) }), requestId: '' }, acme);
    }
    const web = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, channels: [Channel.CHANNEL_WEB] }), acme);
    expect(web.touchpoints.map((t) => t.touchpointId)).toEqual([0, 2, 4].map((i) => `${profileId}-${i}`));
    const range = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, timeRange: { startTime: at(1), endTime: at(3) } }), acme);
    expect(range.touchpoints.map((t) => t.touchpointId)).toEqual([1, 2].map((i) => `${profileId}-${i}`));
    const page1 = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, pageSize: 2 }), acme);
    expect(page1.touchpoints).toHaveLength(2);
    expect(page1.nextPageToken).not.toBe('');
    const page2 = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, pageSize: 2, pageToken: page1.nextPageToken }), acme);
    const page3 = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, pageSize: 2, pageToken: page2.nextPageToken }), acme);
    expect([...page1.touchpoints, ...page2.touchpoints, ...page3.touchpoints].map((t) => t.touchpointId)).toEqual(channels.map((_, i) => `${profileId}-${i}`));
    expect(page3.nextPageToken).toBe('');
    const misuse = await failure(f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, pageSize: 2, channels: [Channel.CHANNEL_WEB], pageToken: page1.nextPageToken }), acme));
    expect(misuse).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ['page_token'] });
  });
});

describe('RecordTouchpoints (client stream)', () => {
  it('records valid messages, counts repeats, and reports invalid ones without writing them', async () => {
    const profileId = newProfile();
    const good = [0, 1, 2].map((i) => touchpoint({ touchpointId: `${profileId}-s${i}`, profileId, occurredAt: at(i) }));
    const res = await f.client.recordTouchpoints(
      [
        { touchpoint: good[0] },
        { touchpoint: { ...touchpoint({ profileId }), channel: Channel.CHANNEL_UNSPECIFIED } },
        { touchpoint: good[1] },
        { touchpoint: good[0] },
        { touchpoint: good[2] },
      ],
      acme,
    );
    expect(res).toMatchObject({ recordedCount: 3, duplicateCount: 1, rejectedCount: 1 });
    expect(res.rejected).toEqual([expect.objectContaining({ index: 1, code: status.INVALID_ARGUMENT, fields: ['touchpoint.channel'] })]);
    const list = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId }), acme);
    expect(list.touchpoints.map((t) => t.touchpointId)).toEqual(good.map((t) => t.touchpointId));
  });
});

describe('RecordTouchpoints while the stream stays open', () => {
  const list = async (profileId: string) => (await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId }), acme)).touchpoints.map((t) => t.touchpointId);

  it('records what has arrived without waiting for the stream to end', async () => {
    const profileId = newProfile();
    let seenWhileOpen: string[] = [];
    async function* messages(): AsyncIterable<contextV1.RecordTouchpointsRequest> {
      yield { touchpoint: touchpoint({ touchpointId: `${profileId}-o1`, profileId, occurredAt: at(1) }) };
      // The stream stays open until the first touchpoint can be read back.
      await waitFor(async () => (await list(profileId)).length === 1, { timeoutMs: 5_000 });
      seenWhileOpen = await list(profileId);
      yield { touchpoint: touchpoint({ touchpointId: `${profileId}-o2`, profileId, occurredAt: at(2) }) };
    }
    const res = await f.client.recordTouchpoints(messages(), acme);
    expect(seenWhileOpen).toEqual([`${profileId}-o1`]);
    expect(res).toMatchObject({ recordedCount: 2, duplicateCount: 0, rejectedCount: 0 });
    expect(await list(profileId)).toEqual([`${profileId}-o1`, `${profileId}-o2`]);
  });

  it('records a stream longer than one batch completely and in order', async () => {
    const profileId = newProfile();
    const count = 700; // more than two transactions' worth
    const res = await f.client.recordTouchpoints(
      Array.from({ length: count }, (_, i) => ({ touchpoint: touchpoint({ touchpointId: `${profileId}-l${i}`, profileId, occurredAt: new Date(T0.getTime() - (count - i) * 1000) }) })),
      acme,
    );
    expect(res).toMatchObject({ recordedCount: count, duplicateCount: 0, rejectedCount: 0 });
    const ctx = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 3, factLimit: 0 }, acme);
    expect(ctx.touchpointCount).toBe(count);
    expect(ctx.recentTouchpoints.map((t) => t.touchpointId)).toEqual([`${profileId}-l699`, `${profileId}-l698`, `${profileId}-l697`]);
  });
});

describe('RecordTouchpoints when a batch cannot be written', () => {
  it('ends the call with INTERNAL at once, even while the client sends nothing, and writes nothing of that batch', async () => {
    const { createEmbeddedStore } = await import('@continuum/store');
    const store = createEmbeddedStore();
    let failNext = false;
    // The store fails the next transaction once, as a lost database connection would.
    const flaky = Object.create(store) as typeof store;
    flaky.withTransaction = (body) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('connection lost'));
      }
      return store.withTransaction(body);
    };
    const g = await startContext({ store: flaky });
    try {
      const tenant = await g.as('acme');
      const profileId = newProfile();
      async function* messages(): AsyncIterable<contextV1.RecordTouchpointsRequest> {
        failNext = true;
        for (let i = 0; i < 3; i++) yield { touchpoint: touchpoint({ touchpointId: `${profileId}-f${i}`, profileId, occurredAt: at(i) }) };
        // The client then keeps the stream open, sending nothing: the failure must end the call anyway.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
      const started = Date.now();
      const err = await failure(g.client.recordTouchpoints(messages(), tenant));
      expect(err.code).toBe(status.INTERNAL);
      expect(Date.now() - started).toBeLessThan(2_000);
      const stored = await g.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId }), tenant);
      expect(stored.touchpoints).toEqual([]);
    } finally {
      await g.stop();
      await store.close();
    }
  });
});

describe('RecordTouchpoints batches', () => {
  it('applies facts, journeys, cases and the summary exactly as one-by-one recording would', async () => {
    const tenant = await f.as('batch');
    const def = await defineJourney(tenant);
    const profileId = newProfile();
    const kase = await f.client.openCase({ profileId, subject: 'Batch case', ownerAgentId: 'agent-b', teamId: '', requestId: 'batch-case' }, tenant);
    const caseId = kase.case?.caseId ?? '';
    const fact = (value: string) => [{ key: 'order_number', value, sensitivity: 0, sourceChannel: 0, touchpointId: '', capturedAt: undefined }];
    const res = await f.client.recordTouchpoints(
      [
        { touchpoint: touchpoint({ profileId, touchpointId: 'b-1', occurredAt: at(10), facts: fact('new'), journeyDefinitionId: def.journeyDefinitionId, journeyStepId: 'start' }) },
        { touchpoint: touchpoint({ profileId, touchpointId: 'b-2', occurredAt: at(2), facts: fact('old-late'), caseId, agentId: 'agent-b' }) },
        { touchpoint: touchpoint({ profileId, touchpointId: 'b-3', occurredAt: at(20), journeyDefinitionId: def.journeyDefinitionId, journeyStepId: 'label-printed', channel: Channel.CHANNEL_VOICE }) },
        { touchpoint: touchpoint({ profileId, touchpointId: 'b-4', caseId: 'cas_unknown' }) },
      ],
      tenant,
    );
    expect(res).toMatchObject({ recordedCount: 3, duplicateCount: 0, rejectedCount: 1 });
    expect(res.rejected[0]).toMatchObject({ index: 3, fields: ['touchpoint.case_id'] });
    const facts = await f.client.getFacts({ profileId, purpose: Purpose.PURPOSE_SERVICE, keys: [] }, tenant);
    expect(facts.facts.map((x) => x.value)).toEqual(['new']);
    const ctx = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 10, factLimit: 0 }, tenant);
    expect(ctx.recentTouchpoints.map((t) => t.touchpointId)).toEqual(['b-3', 'b-1', 'b-2']);
    expect(ctx).toMatchObject({ touchpointCount: 3, lastAgentId: 'agent-b' });
    expect(ctx.activeJourneys.map((j) => [j.currentStepId, j.channelsUsed])).toEqual([['label-printed', [Channel.CHANNEL_WEB, Channel.CHANNEL_VOICE]]]);
    expect((await f.client.getCase({ caseId }, tenant)).case?.touchpointCount).toBe(1);
    expect((await outboxTypes('batch')).filter((t) => t === 'touchpoint_recorded')).toHaveLength(3);
  });
});

describe('GetFacts', () => {
  const fact = (key: string, value: string, sensitivity = FactSensitivity.FACT_SENSITIVITY_NORMAL) => ({ key, value, sensitivity, sourceChannel: 0, touchpointId: '', capturedAt: undefined });

  it('returns the latest value per key; a late arrival does not overwrite newer knowledge', async () => {
    const profileId = newProfile();
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, occurredAt: at(10), facts: [fact('order_number', '2222')] }), requestId: '' }, acme);
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, occurredAt: at(1), facts: [fact('order_number', '1111'), fact('contact_reason', 'damaged_item')] }), requestId: '' }, acme);
    const res = await f.client.getFacts({ profileId, purpose: Purpose.PURPOSE_SERVICE, keys: [] }, acme);
    expect(res.facts.map((x) => [x.key, x.value])).toEqual([
      ['contact_reason', 'damaged_item'],
      ['order_number', '2222'],
    ]);
  });

  it('returns sensitive facts only when the declared purpose allows them', async () => {
    const profileId = newProfile();
    await f.client.recordTouchpoint(
      {
        touchpoint: touchpoint({
          profileId,
          channel: Channel.CHANNEL_VOICE,
          facts: [fact('order_number', '1234'), fact('card_last4', '4242', FactSensitivity.FACT_SENSITIVITY_SENSITIVE), fact('home_address', 'Calle Mayor 1', FactSensitivity.FACT_SENSITIVITY_PERSONAL)],
        }),
        requestId: '',
      },
      acme,
    );
    const byPurpose = async (purpose: commonV1.Purpose, keys: string[] = []) => {
      const r = await f.client.getFacts({ profileId, purpose, keys }, acme);
      return { keys: r.facts.map((x) => x.key), withheld: r.withheldCount };
    };
    expect(await byPurpose(Purpose.PURPOSE_SERVICE)).toEqual({ keys: ['card_last4', 'home_address', 'order_number'], withheld: 0 });
    expect(await byPurpose(Purpose.PURPOSE_PERSONALIZATION)).toEqual({ keys: ['home_address', 'order_number'], withheld: 1 });
    expect(await byPurpose(Purpose.PURPOSE_MARKETING)).toEqual({ keys: ['order_number'], withheld: 2 });
    expect(await byPurpose(Purpose.PURPOSE_ANALYTICS)).toEqual({ keys: [], withheld: 3 });
    // Keys asked for narrow both the facts and the withheld count.
    expect(await byPurpose(Purpose.PURPOSE_MARKETING, ['card_last4', 'order_number', 'never_captured'])).toEqual({ keys: ['order_number'], withheld: 1 });
    const ctx = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_MARKETING, touchpointLimit: 0, factLimit: 0 }, acme);
    expect(ctx.facts.map((x) => x.key)).toEqual(['order_number']);
    expect(ctx.withheldFactCount).toBe(2);
    // The same facts inside the touchpoints are filtered too.
    expect(ctx.recentTouchpoints[0]?.facts.map((x) => x.key)).toEqual(['order_number']);
  });
});

describe('journey definitions', () => {
  it('creates, reads, lists and updates with versions', async () => {
    const tenant = await f.as('defs');
    const created = await f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition(), requestId: 'create-1' }, tenant);
    expect(created.journeyDefinition).toMatchObject({ journeyDefinitionId: 'return-item', version: 1, completionStepId: 'refunded', abandonAfter: { seconds: 3600, nanos: 0 } });
    const retry = await f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition(), requestId: 'create-1' }, tenant);
    expect(retry.journeyDefinition).toEqual(created.journeyDefinition);
    const taken = await failure(f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition(), requestId: 'create-2' }, tenant));
    expect(taken).toMatchObject({ code: status.ALREADY_EXISTS, reason: 'JOURNEY_DEFINITION_EXISTS', domain: CONTEXT_ERROR_DOMAIN });
    await f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ journeyDefinitionId: 'another', completionStepId: '' }), requestId: 'create-3' }, tenant);

    const got = await f.client.getJourneyDefinition({ journeyDefinitionId: 'another' }, tenant);
    expect(got.journeyDefinition?.completionStepId).toBe('refunded');
    const list = await f.client.listJourneyDefinitions({ pageSize: 1, pageToken: '' }, tenant);
    expect(list.journeyDefinitions.map((d) => d.journeyDefinitionId)).toEqual(['another']);
    const rest = await f.client.listJourneyDefinitions({ pageSize: 1, pageToken: list.nextPageToken }, tenant);
    expect(rest.journeyDefinitions.map((d) => d.journeyDefinitionId)).toEqual(['return-item']);

    const updated = await f.client.updateJourneyDefinition({ journeyDefinition: returnItemDefinition({ displayName: 'Returns' }), expectedVersion: 1, requestId: 'upd-1' }, tenant);
    expect(updated.journeyDefinition).toMatchObject({ displayName: 'Returns', version: 2 });
    const stale = await failure(f.client.updateJourneyDefinition({ journeyDefinition: returnItemDefinition({ displayName: 'Stale' }), expectedVersion: 1, requestId: 'upd-2' }, tenant));
    expect(stale).toMatchObject({ code: status.ABORTED, reason: 'VERSION_MISMATCH' });
    const missing = await failure(f.client.updateJourneyDefinition({ journeyDefinition: returnItemDefinition({ journeyDefinitionId: 'nope' }), expectedVersion: 0, requestId: 'upd-3' }, tenant));
    expect(missing).toMatchObject({ code: status.NOT_FOUND, reason: 'JOURNEY_DEFINITION_NOT_FOUND' });
  });
});

describe('journeys', () => {
  it('tracks steps, channels used and completion, with an event per change', async () => {
    const tenant = await f.as('journeys');
    const def = await defineJourney(tenant);
    const profileId = newProfile();
    const step = (stepId: string, minutes: number, channel = Channel.CHANNEL_WEB) =>
      f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, journeyDefinitionId: def.journeyDefinitionId, journeyStepId: stepId, channel, occurredAt: at(minutes) }), requestId: '' }, tenant);
    const first = await step('start', 30);
    const journeyId = first.touchpoint?.journeyId ?? '';
    expect(journeyId).toMatch(/^jrn_/);
    await step('label-printed', 35);
    const j1 = await f.client.getJourney({ journeyId }, tenant);
    expect(j1.journey).toMatchObject({ status: JourneyStatus.JOURNEY_STATUS_ACTIVE, currentStepId: 'label-printed', channelsUsed: [Channel.CHANNEL_WEB] });
    await step('refunded', 50, Channel.CHANNEL_VOICE);
    const j2 = await f.client.getJourney({ journeyId }, tenant);
    expect(j2.journey).toMatchObject({ status: JourneyStatus.JOURNEY_STATUS_COMPLETED, currentStepId: 'refunded', channelsUsed: [Channel.CHANNEL_WEB, Channel.CHANNEL_VOICE], endTime: at(50) });
    const list = await f.client.listJourneys(contextV1.ListJourneysRequest.fromPartial({ profileId, status: JourneyStatus.JOURNEY_STATUS_COMPLETED }), tenant);
    expect(list.journeys.map((j) => j.journeyId)).toEqual([journeyId]);
    const types = (await outboxTypes('journeys')).filter((t) => t.startsWith('journey'));
    expect(types).toEqual(['journey_step_reached', 'journey_step_reached', 'journey_step_reached', 'journey_completed']);
  });

  it('is abandoned after the inactivity period on the injected clock; the sweeper publishes it; a new touchpoint starts afresh', async () => {
    const tenant = await f.as('abandon');
    const def = await defineJourney(tenant, { abandonAfter: { seconds: 600, nanos: 0 } });
    const profileId = newProfile();
    f.clock.now = at(0);
    const first = await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, journeyDefinitionId: def.journeyDefinitionId, journeyStepId: 'label-printed', occurredAt: at(0) }), requestId: '' }, tenant);
    const journeyId = first.touchpoint?.journeyId ?? '';
    f.clock.now = at(9);
    expect((await f.client.getJourney({ journeyId }, tenant)).journey?.status).toBe(JourneyStatus.JOURNEY_STATUS_ACTIVE);
    const ctxBefore = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 0, factLimit: 0 }, tenant);
    expect(ctxBefore.activeJourneys.map((j) => j.journeyId)).toEqual([journeyId]);
    expect(ctxBefore.activeJourneys[0]?.abandonTime).toEqual(at(10));

    f.clock.now = at(11);
    // Reads see it abandoned at once, ending when it crossed the line...
    expect((await f.client.getJourney({ journeyId }, tenant)).journey).toMatchObject({ status: JourneyStatus.JOURNEY_STATUS_ABANDONED, endTime: at(10) });
    const ctxAfter = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 0, factLimit: 0 }, tenant);
    expect(ctxAfter.activeJourneys).toEqual([]);
    // ...and the sweeper stores it and publishes journey_abandoned, once.
    expect(await f.module.sweepAbandonedJourneys()).toBeGreaterThanOrEqual(1);
    expect(await f.module.sweepAbandonedJourneys()).toBe(0);
    expect((await outboxTypes('abandon')).filter((t) => t === 'journey_abandoned')).toHaveLength(1);

    const next = await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, journeyDefinitionId: def.journeyDefinitionId, journeyStepId: 'start', occurredAt: at(11) }), requestId: '' }, tenant);
    expect(next.touchpoint?.journeyId).not.toBe(journeyId);
    f.clock.reset();
  });
});

describe('cases', () => {
  it('opens (idempotently), attaches touchpoints, reassigns, closes and lists', async () => {
    const tenant = await f.as('cases');
    const profileId = newProfile();
    const open = { profileId, subject: 'Router keeps dropping', ownerAgentId: 'agent-chen', teamId: 'team-network', requestId: 'open-1' };
    const opened = await f.client.openCase(open, tenant);
    expect(opened.case).toMatchObject({ status: CaseStatus.CASE_STATUS_OPEN, ownerAgentId: 'agent-chen', teamId: 'team-network', version: 1 });
    const caseId = opened.case?.caseId ?? '';
    expect((await f.client.openCase(open, tenant)).case?.caseId).toBe(caseId);
    const reused = await failure(f.client.openCase({ ...open, subject: 'Something else' }, tenant));
    expect(reused).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ['request_id'] });

    for (const channel of [Channel.CHANNEL_EMAIL, Channel.CHANNEL_SMS, Channel.CHANNEL_VOICE]) {
      await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, caseId, channel, agentId: 'agent-chen' }), requestId: '' }, tenant);
    }
    const got = await f.client.getCase({ caseId }, tenant);
    expect(got.case).toMatchObject({ touchpointCount: 3, channels: [Channel.CHANNEL_EMAIL, Channel.CHANNEL_SMS, Channel.CHANNEL_VOICE] });
    const attached = await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId, caseId }), tenant);
    expect(attached.touchpoints).toHaveLength(3);

    const reassigned = await f.client.updateCase(contextV1.UpdateCaseRequest.fromPartial({ caseId, ownerAgentId: 'agent-ana', status: CaseStatus.CASE_STATUS_PENDING, requestId: 'upd-1' }), tenant);
    expect(reassigned.case).toMatchObject({ ownerAgentId: 'agent-ana', teamId: 'team-network', status: CaseStatus.CASE_STATUS_PENDING, version: 2 });
    const byOwner = await f.client.listCases(contextV1.ListCasesRequest.fromPartial({ ownerAgentId: 'agent-ana' }), tenant);
    expect(byOwner.cases.map((c) => c.caseId)).toEqual([caseId]);

    f.clock.advance(MINUTE);
    const closed = await f.client.closeCase({ caseId, resolution: 'Replaced the router', requestId: 'close-1' }, tenant);
    expect(closed.case).toMatchObject({ status: CaseStatus.CASE_STATUS_CLOSED, resolution: 'Replaced the router', version: 3 });
    const twice = await failure(f.client.closeCase({ caseId, resolution: 'again', requestId: 'close-2' }, tenant));
    expect(twice).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'CASE_CLOSED' });
    const late = await failure(f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, caseId, occurredAt: new Date(f.clock.now.getTime() + MINUTE) }), requestId: '' }, tenant));
    expect(late).toMatchObject({ code: status.FAILED_PRECONDITION, reason: 'CASE_CLOSED' });
    const openOnes = await f.client.listCases(contextV1.ListCasesRequest.fromPartial({ profileId, status: CaseStatus.CASE_STATUS_OPEN }), tenant);
    expect(openOnes.cases).toEqual([]);
    expect((await outboxTypes('cases')).filter((t) => t.startsWith('case'))).toEqual(['case_opened', 'case_reassigned', 'case_closed']);
    f.clock.reset();
  });

  it('refuses to attach a touchpoint to another customer\'s case', async () => {
    const tenant = await f.as('cases');
    const opened = await f.client.openCase({ profileId: newProfile(), subject: 'x', ownerAgentId: '', teamId: '', requestId: 'open-other' }, tenant);
    const err = await failure(f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId: newProfile(), caseId: opened.case?.caseId ?? '' }), requestId: '' }, tenant));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ['touchpoint.case_id'] });
  });
});

describe('GetContext', () => {
  it('gives a channel everything it needs in one call', async () => {
    const tenant = await f.as('ctx');
    const def = await defineJourney(tenant);
    const profileId = newProfile();
    await f.client.recordTouchpoint(
      {
        touchpoint: touchpoint({
          profileId,
          touchpointId: 'ctx-web',
          journeyDefinitionId: def.journeyDefinitionId,
          journeyStepId: 'label-printed',
          occurredAt: at(40),
          facts: [{ key: 'order_number', value: '1234', sensitivity: 0, sourceChannel: 0, touchpointId: '', capturedAt: undefined }],
        }),
        requestId: '',
      },
      tenant,
    );
    const kase = await f.client.openCase({ profileId, subject: 'Damaged parcel', ownerAgentId: 'agent-chen', teamId: 'team-returns', requestId: 'ctx-case' }, tenant);
    await f.client.recordTouchpoint(
      { touchpoint: touchpoint({ profileId, touchpointId: 'ctx-call', channel: Channel.CHANNEL_VOICE, agentId: 'agent-chen', occurredAt: at(55), assurance: commonV1.AssuranceLevel.ASSURANCE_LEVEL_ASSERTED }), requestId: '' },
      tenant,
    );
    const ctx = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 10, factLimit: 0 }, tenant);
    expect(ctx.profile).toMatchObject({ profileId, anonymous: true, knownToIdentity: false, bestAssurance: commonV1.AssuranceLevel.ASSURANCE_LEVEL_ASSERTED });
    expect(ctx.activeJourneys).toEqual([
      expect.objectContaining({ journeyDefinitionId: def.journeyDefinitionId, currentStepId: 'label-printed', currentStepDisplayName: 'Label printed', nextStepId: 'parcel-dropped', channelsUsed: [Channel.CHANNEL_WEB], lastActivityTime: at(40), intent: 'return_item' }),
    ]);
    expect(ctx.openCases).toEqual([expect.objectContaining({ caseId: kase.case?.caseId, ownerAgentId: 'agent-chen', teamId: 'team-returns' })]);
    expect(ctx.recentTouchpoints.map((t) => t.touchpointId)).toEqual(['ctx-call', 'ctx-web']);
    expect(ctx.facts.map((x) => [x.key, x.value])).toEqual([['order_number', '1234']]);
    expect(ctx.likelyIntent).toEqual({ intent: 'return_item', confidence: 0.9, source: 'active_journey' });
    expect(ctx).toMatchObject({ lastAgentId: 'agent-chen', lastAgentTime: at(55), touchpointCount: 2 });
    expect(ctx.nextBestAction).toMatchObject({ action: 'share_drop_off_points', targetStepId: 'parcel-dropped' });
    const limited = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 1, factLimit: 0 }, tenant);
    expect(limited.recentTouchpoints.map((t) => t.touchpointId)).toEqual(['ctx-call']);
  });

  it('answers an unknown profile with an empty context', async () => {
    const ctx = await f.client.getContext({ profileId: 'prf_nobody', purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 0, factLimit: 0 }, acme);
    expect(ctx).toMatchObject({ activeJourneys: [], openCases: [], recentTouchpoints: [], facts: [], touchpointCount: 0, lastAgentId: '' });
    expect(ctx.profile).toMatchObject({ profileId: 'prf_nobody', anonymous: true, knownToIdentity: false });
  });
});

describe('BatchGetContext', () => {
  it('answers several customers in the order asked, each as GetContext would, and another tenant\'s as unknown', async () => {
    const [p1, p2] = [newProfile(), newProfile()];
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId: p1, touchpointId: `${p1}-b`, agentId: 'agent-1' }), requestId: '' }, acme);
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId: p2, touchpointId: `${p2}-b`, agentId: 'agent-2' }), requestId: '' }, acme);
    const ask = (profileId: string) => ({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 5, factLimit: 0 });
    const res = await f.client.batchGetContext({ requests: [ask(p2), ask('prf_nobody'), ask(p1)] }, acme);
    expect(res.contexts.map((c) => [c.profile?.profileId, c.touchpointCount, c.lastAgentId])).toEqual([
      [p2, 1, 'agent-2'],
      ['prf_nobody', 0, ''],
      [p1, 1, 'agent-1'],
    ]);
    expect(res.contexts[2]).toEqual(await f.client.getContext(ask(p1), acme));
    const other = await f.client.batchGetContext({ requests: [ask(p1)] }, globex);
    expect(other.contexts[0]).toMatchObject({ touchpointCount: 0, lastAgentId: '' });
  });

  it('fails as a whole, naming the request and field, when one request is invalid or there are none or too many', async () => {
    const ok = { profileId: 'prf_x', purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 0, factLimit: 0 };
    const bad = await failure(f.client.batchGetContext({ requests: [ok, { ...ok, profileId: '' }, { ...ok, touchpointLimit: 500 }] }, acme));
    expect(bad).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ['requests[1].profile_id', 'requests[2].touchpoint_limit'] });
    expect(await failure(f.client.batchGetContext({ requests: [] }, acme))).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ['requests'] });
    expect(await failure(f.client.batchGetContext({ requests: Array.from({ length: 101 }, () => ok) }, acme))).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ['requests'] });
  });
});

describe('WatchContext', () => {
  it('streams the context first, then a new one after each change', async () => {
    const profileId = newProfile();
    const stream = f.client.watchContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 5 }, acme);
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ change: ContextChange.CONTEXT_CHANGE_INITIAL, context: { touchpointCount: 0 } });
    await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: `${profileId}-w1`, channel: Channel.CHANNEL_CHAT }), requestId: '' }, acme);
    const second = await it.next();
    expect(second.value).toMatchObject({ change: ContextChange.CONTEXT_CHANGE_TOUCHPOINT_RECORDED, changedId: `${profileId}-w1`, context: { touchpointCount: 1 } });
    const kase = await f.client.openCase({ profileId, subject: 's', ownerAgentId: 'agent-x', teamId: '', requestId: `${profileId}-c` }, acme);
    const third = await it.next();
    expect(third.value).toMatchObject({ change: ContextChange.CONTEXT_CHANGE_CASE, changedId: kase.case?.caseId });
    expect((third.value as contextV1.WatchContextResponse).context?.openCases).toHaveLength(1);
    stream.cancel();
    await expect(it.next()).rejects.toMatchObject({ code: status.CANCELLED });
    await waitFor(() => f.module.watcherCount === 0, { timeoutMs: 500, description: 'the cancelled watcher to leave' });
    expect(f.module.watcherCount).toBe(0);
  });
});

describe('bad input', () => {
  const tp = (over: Partial<contextV1.Touchpoint>) => ({ touchpoint: touchpoint(over), requestId: '' });
  const fact = (key: string, value: string, sensitivity = 0) => ({ key, value, sensitivity, sourceChannel: 0, touchpointId: '', capturedAt: undefined });
  type Case = [string, () => Promise<unknown>, string];
  const cases: Case[] = [
    ['missing touchpoint', () => f.client.recordTouchpoint({ touchpoint: undefined, requestId: '' }, acme), 'touchpoint'],
    ['missing touchpoint id', () => f.client.recordTouchpoint(tp({ touchpointId: '' }), acme), 'touchpoint.touchpoint_id'],
    ['touchpoint id with spaces', () => f.client.recordTouchpoint(tp({ touchpointId: 'a b' }), acme), 'touchpoint.touchpoint_id'],
    ['touchpoint id too long', () => f.client.recordTouchpoint(tp({ touchpointId: 'x'.repeat(129) }), acme), 'touchpoint.touchpoint_id'],
    ['missing profile', () => f.client.recordTouchpoint(tp({ profileId: '' }), acme), 'touchpoint.profile_id'],
    ['unspecified channel', () => f.client.recordTouchpoint(tp({ channel: Channel.CHANNEL_UNSPECIFIED }), acme), 'touchpoint.channel'],
    ['unknown channel', () => f.client.recordTouchpoint(tp({ channel: 99 as commonV1.Channel }), acme), 'touchpoint.channel'],
    ['unspecified direction', () => f.client.recordTouchpoint(tp({ direction: Direction.DIRECTION_UNSPECIFIED }), acme), 'touchpoint.direction'],
    ['missing time', () => f.client.recordTouchpoint(tp({ occurredAt: undefined }), acme), 'touchpoint.occurred_at'],
    ['time in the future', () => f.client.recordTouchpoint(tp({ occurredAt: new Date(f.clock.now.getTime() + 6 * MINUTE) }), acme), 'touchpoint.occurred_at'],
    ['step without journey', () => f.client.recordTouchpoint(tp({ journeyStepId: 'start' }), acme), 'touchpoint.journey_definition_id'],
    ['journey without step', () => f.client.recordTouchpoint(tp({ journeyDefinitionId: 'return-item' }), acme), 'touchpoint.journey_step_id'],
    ['unknown journey', () => f.client.recordTouchpoint(tp({ journeyDefinitionId: 'no-such-journey', journeyStepId: 'start' }), acme), 'touchpoint.journey_definition_id'],
    ['unknown step', () => f.client.recordTouchpoint(tp({ journeyDefinitionId: 'return-item', journeyStepId: 'teleported' }), acme), 'touchpoint.journey_step_id'],
    ['unknown case', () => f.client.recordTouchpoint(tp({ caseId: 'cas_missing' }), acme), 'touchpoint.case_id'],
    ['bad intent', () => f.client.recordTouchpoint(tp({ intent: 'Return Item!' }), acme), 'touchpoint.intent'],
    ['unknown outcome', () => f.client.recordTouchpoint(tp({ outcome: 42 as contextV1.TouchpointOutcome }), acme), 'touchpoint.outcome'],
    ['unknown assurance', () => f.client.recordTouchpoint(tp({ assurance: 9 as commonV1.AssuranceLevel }), acme), 'touchpoint.assurance'],
    ['summary too long', () => f.client.recordTouchpoint(tp({ summary: 's'.repeat(257) }), acme), 'touchpoint.summary'],
    ['fact without key', () => f.client.recordTouchpoint(tp({ facts: [fact('', 'v')] }), acme), 'touchpoint.facts[0].key'],
    ['fact without value', () => f.client.recordTouchpoint(tp({ facts: [fact('k', '')] }), acme), 'touchpoint.facts[0].value'],
    ['fact value too long', () => f.client.recordTouchpoint(tp({ facts: [fact('k', 'v'.repeat(1025))] }), acme), 'touchpoint.facts[0].value'],
    ['fact key twice', () => f.client.recordTouchpoint(tp({ facts: [fact('k', 'a'), fact('k', 'b')] }), acme), 'touchpoint.facts[1].key'],
    ['unknown sensitivity', () => f.client.recordTouchpoint(tp({ facts: [fact('k', 'v', 7)] }), acme), 'touchpoint.facts[0].sensitivity'],
    ['too many facts', () => f.client.recordTouchpoint(tp({ facts: Array.from({ length: 51 }, (_, i) => fact(`k${i}`, 'v')) }), acme), 'touchpoint.facts'],
    ['bad attribute key', () => f.client.recordTouchpoint(tp({ attributes: { 'Bad Key': 'v' } }), acme), 'touchpoint.attributes[Bad Key]'],
    ['list without profile', () => f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({}), acme), 'profile_id'],
    ['page size too big', () => f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId: 'p', pageSize: 501 }), acme), 'page_size'],
    ['inverted time range', () => f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId: 'p', timeRange: { startTime: at(5), endTime: at(1) } }), acme), 'time_range.end_time'],
    ['garbage page token', () => f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId: 'p', pageToken: 'garbage' }), acme), 'page_token'],
    ['facts without purpose', () => f.client.getFacts({ profileId: 'p', purpose: Purpose.PURPOSE_UNSPECIFIED, keys: [] }, acme), 'purpose'],
    ['definition without id', () => f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ journeyDefinitionId: '' }), requestId: 'r' }, acme), 'journey_definition.journey_definition_id'],
    ['definition without steps', () => f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ steps: [] }), requestId: 'r' }, acme), 'journey_definition.steps'],
    ['definition duplicate step', () => f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ steps: [{ stepId: 'a', displayName: '', action: '', actionDescription: '' }, { stepId: 'a', displayName: '', action: '', actionDescription: '' }] }), requestId: 'r' }, acme), 'journey_definition.steps[1].step_id'],
    ['definition unknown completion', () => f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ completionStepId: 'nope' }), requestId: 'r' }, acme), 'journey_definition.completion_step_id'],
    ['definition without abandon period', () => f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ abandonAfter: undefined }), requestId: 'r' }, acme), 'journey_definition.abandon_after'],
    ['definition abandon period too short', () => f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ abandonAfter: { seconds: 5, nanos: 0 } }), requestId: 'r' }, acme), 'journey_definition.abandon_after'],
    ['definition without request id', () => f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition({ journeyDefinitionId: 'fresh' }), requestId: '' }, acme), 'request_id'],
    ['get definition without id', () => f.client.getJourneyDefinition({ journeyDefinitionId: '' }, acme), 'journey_definition_id'],
    ['list definitions negative page', () => f.client.listJourneyDefinitions({ pageSize: -1, pageToken: '' }, acme), 'page_size'],
    ['update definition missing', () => f.client.updateJourneyDefinition({ journeyDefinition: undefined, expectedVersion: 0, requestId: 'r' }, acme), 'journey_definition'],
    ['get journey without id', () => f.client.getJourney({ journeyId: '' }, acme), 'journey_id'],
    ['list journeys unknown status', () => f.client.listJourneys(contextV1.ListJourneysRequest.fromPartial({ profileId: 'p', status: 12 as contextV1.JourneyStatus }), acme), 'status'],
    ['open case without subject', () => f.client.openCase({ profileId: 'p', subject: '', ownerAgentId: '', teamId: '', requestId: 'r' }, acme), 'subject'],
    ['open case without profile', () => f.client.openCase({ profileId: '', subject: 's', ownerAgentId: '', teamId: '', requestId: 'r' }, acme), 'profile_id'],
    ['open case without request id', () => f.client.openCase({ profileId: 'p', subject: 's', ownerAgentId: '', teamId: '', requestId: '' }, acme), 'request_id'],
    ['update case to closed', () => f.client.updateCase(contextV1.UpdateCaseRequest.fromPartial({ caseId: 'c', status: CaseStatus.CASE_STATUS_CLOSED, requestId: 'r' }), acme), 'status'],
    ['update case empty subject', () => f.client.updateCase(contextV1.UpdateCaseRequest.fromPartial({ caseId: 'c', subject: '', requestId: 'r' }), acme), 'subject'],
    ['close case resolution too long', () => f.client.closeCase({ caseId: 'c', resolution: 'r'.repeat(1025), requestId: 'r' }, acme), 'resolution'],
    ['get case without id', () => f.client.getCase({ caseId: '' }, acme), 'case_id'],
    ['list cases without filter', () => f.client.listCases(contextV1.ListCasesRequest.fromPartial({}), acme), 'profile_id'],
    ['context without purpose', () => f.client.getContext({ profileId: 'p', purpose: 0, touchpointLimit: 0, factLimit: 0 }, acme), 'purpose'],
    ['context too many touchpoints', () => f.client.getContext({ profileId: 'p', purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 101, factLimit: 0 }, acme), 'touchpoint_limit'],
    ['context without profile', () => f.client.getContext({ profileId: '', purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 0, factLimit: 0 }, acme), 'profile_id'],
  ];

  beforeAll(async () => {
    await f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition(), requestId: 'bad-input-def' }, acme);
  });

  it.each(cases)('%s → INVALID_ARGUMENT naming %s... and nothing written', async (_name, call, field) => {
    const before = await snapshot();
    const err = await failure(call());
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.domain).toBe(CONTEXT_ERROR_DOMAIN);
    expect(err.fields).toContain(field);
    expect(await snapshot()).toEqual(before);
  });

  it('WatchContext refuses a request without purpose', async () => {
    const stream = f.client.watchContext({ profileId: 'p', purpose: 0, touchpointLimit: 0 }, acme);
    const err = await failure((async () => {
      for await (const _ of stream) { /* never reached */ }
    })());
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ['purpose'] });
  });
});

describe('tenant isolation', () => {
  it('answers another tenant\'s ids exactly like missing ones, and never shows its data', async () => {
    const profileId = newProfile();
    const def = await defineJourney(acme);
    const rec = await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId, touchpointId: 'iso-1', journeyDefinitionId: def.journeyDefinitionId, journeyStepId: 'start' }), requestId: '' }, acme);
    const kase = await f.client.openCase({ profileId, subject: 'secret', ownerAgentId: 'a', teamId: '', requestId: 'iso-case' }, acme);
    const journeyId = rec.touchpoint?.journeyId ?? '';
    const caseId = kase.case?.caseId ?? '';

    const pairs: [Promise<unknown>, Promise<unknown>][] = [
      [f.client.getCase({ caseId }, globex), f.client.getCase({ caseId: 'cas_does_not_exist' }, globex)],
      [f.client.getJourney({ journeyId }, globex), f.client.getJourney({ journeyId: 'jrn_does_not_exist' }, globex)],
      [f.client.getJourneyDefinition({ journeyDefinitionId: def.journeyDefinitionId }, globex), f.client.getJourneyDefinition({ journeyDefinitionId: 'does-not-exist' }, globex)],
      [f.client.closeCase({ caseId, resolution: '', requestId: 'iso-close' }, globex), f.client.closeCase({ caseId: 'cas_nope', resolution: '', requestId: 'iso-close-2' }, globex)],
      [f.client.updateCase(contextV1.UpdateCaseRequest.fromPartial({ caseId, ownerAgentId: 'thief', requestId: 'iso-upd' }), globex), f.client.updateCase(contextV1.UpdateCaseRequest.fromPartial({ caseId: 'cas_nope', ownerAgentId: 'thief', requestId: 'iso-upd-2' }), globex)],
    ];
    for (const [other, missing] of pairs) {
      const a = await failure(other);
      const b = await failure(missing);
      expect(a).toEqual(b);
      expect(a.code).toBe(status.NOT_FOUND);
    }
    const ctx = await f.client.getContext({ profileId, purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 0, factLimit: 0 }, globex);
    const empty = await f.client.getContext({ profileId: 'prf_nobody_at_all', purpose: Purpose.PURPOSE_SERVICE, touchpointLimit: 0, factLimit: 0 }, globex);
    expect({ ...ctx, profile: undefined, asOf: undefined }).toEqual({ ...empty, profile: undefined, asOf: undefined });
    expect((await f.client.listTouchpoints(contextV1.ListTouchpointsRequest.fromPartial({ profileId }), globex)).touchpoints).toEqual([]);
    expect((await f.client.listCases(contextV1.ListCasesRequest.fromPartial({ profileId }), globex)).cases).toEqual([]);
    // The same touchpoint id is free in another tenant: ids are per tenant.
    const theirs = await f.client.recordTouchpoint({ touchpoint: touchpoint({ profileId: 'prf_globex', touchpointId: 'iso-1' }), requestId: '' }, globex);
    expect(theirs.alreadyRecorded).toBe(false);
    expect((await f.client.getCase({ caseId }, acme)).case?.ownerAgentId).toBe('a');
  });

  it('checks scopes before anything else', async () => {
    const reader = await f.as('acme', ['context.read']);
    const err = await failure(f.client.recordTouchpoint({ touchpoint: touchpoint(), requestId: '' }, reader));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    const admin = await failure(f.client.createJourneyDefinition({ journeyDefinition: returnItemDefinition(), requestId: 'x' }, await f.as('acme', ['context.write'])));
    expect(admin.code).toBe(status.PERMISSION_DENIED);
  });
});
