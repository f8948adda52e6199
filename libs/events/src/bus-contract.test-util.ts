import { SpanKind, trace } from '@opentelemetry/api';
import { sleep, waitFor } from '@continuum/testing';
import { decodePayload } from './envelope';
import { PoisonEventError } from './errors';
import { captureSpans, freshDomain, subscribeInto, testEnvelope, testEventType, type TestPayload } from './test-support.test-util';
import type { DeliveredEvent, EventBus, EventEnvelope, EventType } from './types';

/**
 * The event bus contract: every adapter must pass it unchanged. `open` gives a bus connected to
 * the backend under test; a second `open` gives another bus on the same backend (a separate
 * instance where the backend allows it), as a restarted process would have.
 */
export interface BusUnderTest {
  open(): Promise<EventBus>;
  /** Called after all tests. */
  close(): Promise<void>;
}

function envelopeOf(type: EventType<TestPayload>, message: string, subjectProfileId?: string, tenantId?: string): EventEnvelope {
  return testEnvelope(type, message, { subjectProfileId, tenantId, producer: 'contract' });
}

function messageOf(type: EventType<TestPayload>, event: DeliveredEvent): string {
  return decodePayload(type, event.envelope).message;
}

export function describeEventBusContract(name: string, backend: () => BusUnderTest): void {
  describe(`event bus contract: ${name}`, () => {
    jest.setTimeout(30000);
    const spans = captureSpans();
    let under: BusUnderTest;
    let bus: EventBus;

    beforeAll(async () => {
      under = backend();
      bus = await under.open();
    });
    afterAll(async () => {
      await bus.close();
      await under.close();
    });

    it('delivers each published event once, with its envelope, subject and first delivery count', async () => {
      const domain = freshDomain('delivery');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const received: DeliveredEvent[] = [];
      const sub = await bus.subscribe({ durable: 'delivery', domain }, async (event) => {
        received.push(event);
      });
      const sent = [envelopeOf(type, 'one', 'p-1'), envelopeOf(type, 'two', 'p-2'), envelopeOf(type, 'three'), envelopeOf(type, 'four', undefined, 'globex')];
      for (const envelope of sent) await bus.publish(envelope);
      await waitFor(() => received.length >= 4, { description: '4 deliveries' });
      await sleep(100);
      expect(received).toHaveLength(4);
      const byId = new Map(received.map((event) => [event.envelope.eventId, event]));
      for (const envelope of sent) {
        const event = byId.get(envelope.eventId);
        expect(event).toBeDefined();
        expect(event?.envelope).toEqual(envelope);
        expect(event?.deliveryCount).toBe(1);
        expect(event?.consumer).toBe('delivery');
        expect(event?.subject).toBe(`continuum.${envelope.tenantId}.${domain}.thing_happened`);
      }
      expect(received.map((event) => messageOf(type, event)).sort()).toEqual(['four', 'one', 'three', 'two']);
      await sub.drain();
    });

    it('reads only the types a consumer asks for', async () => {
      const domain = freshDomain('types');
      const wanted = testEventType(domain, 'wanted');
      const also = testEventType(domain, 'also');
      const other = testEventType(domain, 'other');
      await bus.ensureStreams([domain]);
      const one: string[] = [];
      const two: string[] = [];
      const single = await bus.subscribe({ durable: 'typed-one', domain, types: ['wanted'] }, async (event) => {
        one.push(`${event.envelope.type}:${messageOf(wanted, event)}`);
      });
      // Two types: the server filters them from nats-server 2.10 on, the client before.
      const double = await bus.subscribe({ durable: 'typed-two', domain, types: ['wanted', 'also'] }, async (event) => {
        two.push(`${event.envelope.type}:${event.envelope.type === 'also' ? messageOf(also, event) : messageOf(wanted, event)}`);
      });
      await bus.publish(envelopeOf(other, 'skip'));
      await bus.publish(envelopeOf(wanted, 'take'));
      await bus.publish(envelopeOf(also, 'also take'));
      await bus.publish(envelopeOf(other, 'skip again'));
      await bus.publish(envelopeOf(wanted, 'take too'));
      await waitFor(() => one.length >= 2 && two.length >= 3);
      await sleep(100);
      expect(one.sort()).toEqual(['wanted:take', 'wanted:take too']);
      expect(two.sort()).toEqual(['also:also take', 'wanted:take', 'wanted:take too']);
      await single.drain();
      await double.drain();
    });

    it('redelivers an event after a failed attempt (nak with backoff), with a higher delivery count', async () => {
      const domain = freshDomain('redelivery');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const attempts: number[] = [];
      let applied = 0;
      const sub = await bus.subscribe({ durable: 'redelivery', domain, backoffMs: [50], maxDeliveries: 5 }, async (event) => {
        attempts.push(event.deliveryCount);
        if (event.deliveryCount < 3) throw new Error('transient failure');
        applied++;
      });
      await bus.publish(envelopeOf(type, 'flaky'));
      await waitFor(() => applied === 1, { description: 'applied after two failures' });
      await sleep(200);
      expect(attempts).toEqual([1, 2, 3]);
      expect(applied).toBe(1);
      expect(await deadLettersOf(bus, 'redelivery')).toHaveLength(0);
      await sub.drain();
    });

    it('moves an event to the dead-letter stream after max deliveries, with where it came from and why', async () => {
      const domain = freshDomain('dlq');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const attempts: number[] = [];
      const sub = await bus.subscribe({ durable: 'dlq-max', domain, backoffMs: [20], maxDeliveries: 3 }, async (event) => {
        attempts.push(event.deliveryCount);
        throw new Error('always fails');
      });
      const poison = envelopeOf(type, 'poison', 'p-9');
      await bus.publish(poison);
      const letters = await waitFor(async () => {
        const found = await deadLettersOf(bus, 'dlq-max');
        return found.length > 0 ? found : undefined;
      }, { description: 'a dead letter' });
      await sleep(300);
      expect(attempts).toEqual([1, 2, 3]);
      expect(await deadLettersOf(bus, 'dlq-max')).toHaveLength(1);
      const [letter] = letters;
      expect(letter?.envelope?.eventId).toBe(poison.eventId);
      expect(letter?.originalSubject).toBe(`continuum.acme.${domain}.thing_happened`);
      expect(letter?.deliveryCount).toBe(3);
      expect(letter?.error).toBe('Error: always fails');
      await sub.drain();
    });

    it('dead-letters a PoisonEventError at once, and later events of the same customer proceed', async () => {
      const domain = freshDomain('poison');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const attempts: string[] = [];
      const sub = await bus.subscribe({ durable: 'poison', domain, backoffMs: [20], maxDeliveries: 5 }, async (event) => {
        const message = messageOf(type, event);
        attempts.push(message);
        if (message === 'bad') throw new PoisonEventError('cannot ever apply');
      });
      await bus.publish(envelopeOf(type, 'bad', 'p-1'));
      await bus.publish(envelopeOf(type, 'good', 'p-1'));
      await waitFor(() => attempts.includes('good'));
      await sleep(100);
      expect(attempts).toEqual(['bad', 'good']);
      const letters = await deadLettersOf(bus, 'poison');
      expect(letters.map((l) => [l.deliveryCount, l.error])).toEqual([[1, 'PoisonEventError: cannot ever apply']]);
      await sub.drain();
    });

    it('resumes a durable consumer where it stopped after a restart, redelivering only what it did not ack', async () => {
      const domain = freshDomain('durable');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const firstRun: string[] = [];
      const first = await subscribeInto(bus, { durable: 'resumer', domain }, firstRun, (event) => messageOf(type, event));
      for (let i = 0; i < 5; i++) await bus.publish(envelopeOf(type, `before-${i}`));
      await waitFor(() => firstRun.length === 5);
      await first.drain();

      for (let i = 0; i < 5; i++) await bus.publish(envelopeOf(type, `after-${i}`));
      // Nobody consumes meanwhile: a new bus instance (a restarted process) picks up from here.
      const restarted = await under.open();
      try {
        const secondRun: string[] = [];
        const second = await subscribeInto(restarted, { durable: 'resumer', domain }, secondRun, (event) => messageOf(type, event));
        await waitFor(() => secondRun.length >= 5);
        await sleep(150);
        expect(secondRun.sort()).toEqual(['after-0', 'after-1', 'after-2', 'after-3', 'after-4']);
        expect(firstRun.sort()).toEqual(['before-0', 'before-1', 'before-2', 'before-3', 'before-4']);
        await second.drain();
      } finally {
        if (restarted !== bus) await restarted.close();
      }
    });

    it('starts a new durable at the next event when asked (startAt new); an existing one continues where it stopped', async () => {
      const domain = freshDomain('fromnew');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      await bus.publish(envelopeOf(type, 'old'));
      const seen: string[] = [];
      const first = await subscribeInto(bus, { durable: 'watcher', domain, startAt: 'new' }, seen, (event) => messageOf(type, event));
      await bus.publish(envelopeOf(type, 'new-1'));
      await waitFor(() => seen.length >= 1);
      await first.drain();
      await bus.publish(envelopeOf(type, 'while-away'));
      const again = await subscribeInto(bus, { durable: 'watcher', domain, startAt: 'new' }, seen, (event) => messageOf(type, event));
      await waitFor(() => seen.length >= 2);
      await sleep(100);
      expect(seen).toEqual(['new-1', 'while-away']);
      await again.drain();
    });

    it('forgets a durable that stayed without a subscription past its inactive threshold', async () => {
      const domain = freshDomain('inactive');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const seen: string[] = [];
      const spec = { durable: 'per-process', domain, startAt: 'new' as const, inactiveThresholdMs: 1_000 };
      const first = await subscribeInto(bus, spec, seen, (event) => messageOf(type, event));
      await bus.publish(envelopeOf(type, 'seen'));
      await waitFor(() => seen.length >= 1);
      await first.drain();
      await bus.publish(envelopeOf(type, 'missed'));
      // Past the threshold (nobody subscribed meanwhile) the durable is gone, so a new one starts
      // after 'missed'; a durable that survived would deliver 'missed' first.
      await sleep(2_500);
      seen.length = 0;
      const later = await subscribeInto(bus, spec, seen, (event) => messageOf(type, event));
      await sleep(200);
      await bus.publish(envelopeOf(type, 'after'));
      await waitFor(() => seen.includes('after'));
      await sleep(100);
      expect(seen).toEqual(['after']);
      await later.drain();
    });

    it('delivers again an event whose handler neither finishes nor fails within the ack wait', async () => {
      const domain = freshDomain('ackwait');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const counts: number[] = [];
      let release!: () => void;
      const hung = new Promise<void>((resolve) => (release = resolve));
      const sub = await bus.subscribe({ durable: 'slow', domain, ackWaitMs: 1_000 }, async (event) => {
        counts.push(event.deliveryCount);
        if (event.deliveryCount === 1) await hung; // the first attempt hangs
      });
      await bus.publish(envelopeOf(type, 'stuck'));
      await waitFor(() => counts.includes(2), { timeoutMs: 10_000, description: 'a second delivery after the ack wait' });
      release();
      await sleep(200);
      expect(counts.slice(0, 2)).toEqual([1, 2]);
      await sub.drain();
    });

    it('drops a repeated event id within the dedupe window', async () => {
      const domain = freshDomain('dedupe');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const received: string[] = [];
      const sub = await subscribeInto(bus, { durable: 'dedupe', domain }, received, (event) => messageOf(type, event));
      const once = envelopeOf(type, 'once');
      await bus.publish(once);
      await bus.publish(once);
      await bus.publish({ ...once });
      await bus.publish(envelopeOf(type, 'marker'));
      await waitFor(() => received.includes('marker'));
      await sleep(100);
      expect(received.filter((m) => m === 'once')).toHaveLength(1);
      expect(received).toHaveLength(2);
      await sub.drain();
    });

    it('applies the events of one customer in production order with many in flight, even when some fail first', async () => {
      const domain = freshDomain('ordering');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      const customers = 8;
      const perCustomer = 25;
      const applied = new Map<string, number[]>();
      const failedOnce = new Set<string>();
      let concurrent = 0;
      let maxConcurrent = 0;
      const sub = await bus.subscribe({ durable: 'ordered', domain, maxInFlight: 64, backoffMs: [15], maxDeliveries: 10 }, async (event) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        try {
          const [customer = '', index = ''] = messageOf(type, event).split('#');
          await sleep((Number(index) * 7) % 5);
          // Every 7th event fails on its first delivery: its customer must wait for it.
          if (Number(index) % 7 === 3 && !failedOnce.has(event.envelope.eventId)) {
            failedOnce.add(event.envelope.eventId);
            throw new Error('first attempt fails');
          }
          const list = applied.get(customer) ?? [];
          list.push(Number(index));
          applied.set(customer, list);
        } finally {
          concurrent--;
        }
      });
      for (let index = 0; index < perCustomer; index++) {
        for (let c = 0; c < customers; c++) await bus.publish(envelopeOf(type, `c${c}#${index}`, `c${c}`));
      }
      await waitFor(() => [...applied.values()].reduce((n, list) => n + list.length, 0) === customers * perCustomer, {
        timeoutMs: 15000,
        description: 'every event applied',
      });
      const expected = Array.from({ length: perCustomer }, (_, i) => i);
      for (let c = 0; c < customers; c++) expect(applied.get(`c${c}`)).toEqual(expected);
      expect(failedOnce.size).toBe(customers * 4);
      // Customers did proceed in parallel.
      expect(maxConcurrent).toBeGreaterThan(1);
      await sub.drain();
    });

    it('continues the producer trace in a CONSUMER span with messaging attributes and runs the handler in it', async () => {
      const domain = freshDomain('trace');
      const type = testEventType(domain);
      await bus.ensureStreams([domain]);
      let handlerSpanId: string | undefined;
      let handlerTraceId: string | undefined;
      const done: string[] = [];
      const sub = await bus.subscribe({ durable: 'traced', domain }, async (event) => {
        handlerSpanId = trace.getActiveSpan()?.spanContext().spanId;
        handlerTraceId = trace.getActiveSpan()?.spanContext().traceId;
        done.push(event.envelope.eventId);
      });
      const envelope = envelopeOf(type, 'traced', 'p-secret-profile');
      await trace.getTracer('contract').startActiveSpan('produce-active', async (span) => {
        await bus.publish(envelope);
        span.end();
      });
      await waitFor(() => done.length === 1, { description: 'handled' });
      const consumerSpan = await waitFor(() =>
        spans.getFinishedSpans().find((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === envelope.eventId),
      );
      const producerSpan = spans.getFinishedSpans().find((s) => s.name === 'produce-active');
      expect(producerSpan).toBeDefined();
      expect(consumerSpan.spanContext().traceId).toBe(producerSpan?.spanContext().traceId);
      expect(consumerSpan.parentSpanContext?.spanId).toBe(producerSpan?.spanContext().spanId);
      expect(handlerSpanId).toBe(consumerSpan.spanContext().spanId);
      expect(handlerTraceId).toBe(producerSpan?.spanContext().traceId);
      expect(consumerSpan.name).toBe(`process ${domain}.thing_happened`);
      expect(consumerSpan.attributes).toMatchObject({
        'messaging.system': 'nats',
        'messaging.destination.name': `continuum.acme.${domain}.thing_happened`,
        'messaging.operation.type': 'process',
        'messaging.message.id': envelope.eventId,
        'messaging.consumer.group.name': 'traced',
      });
      // No personal data: the subject profile id appears in no attribute.
      expect(JSON.stringify(consumerSpan.attributes)).not.toContain('p-secret-profile');
      await sub.drain();
    });
  });
}

async function deadLettersOf(bus: EventBus, consumer: string) {
  const letters = await bus.deadLetters({ limit: 1000 });
  return letters.filter((letter) => letter.consumer === consumer);
}
