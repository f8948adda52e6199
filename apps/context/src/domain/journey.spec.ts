import { DomainValidationError } from './errors';
import { advanceJourney, chooseInstance, evaluateAbandonment, startJourney, validateDefinition, channelSwitches } from './journey';
import { MIN, at, returnItem } from './test-data.test-util';
import type { JourneyInstance } from './types';

const ids = { journeyId: 'jrn_1', profileId: 'prf_a', originProfileId: 'prf_a' };

function started(minutes = 0): JourneyInstance {
  return startJourney(returnItem, ids, { stepId: 'start', channel: 'web', touchpointId: 'tp0', occurredAt: at(minutes) }, at(minutes)).instance;
}

describe('journey state machine', () => {
  it('starts active at the first step and reports the step', () => {
    const { instance, changes } = startJourney(returnItem, ids, { stepId: 'start', channel: 'web', touchpointId: 'tp0', occurredAt: at(0) }, at(0));
    expect(instance).toMatchObject({ status: 'active', currentStepId: 'start', channelsUsed: ['web'] });
    expect(changes).toEqual([{ kind: 'step_reached', stepId: 'start', previousStepId: '', channel: 'web', touchpointId: 'tp0' }]);
  });

  it('advances to the furthest step, tracks channel switches, and completes at the completion step', () => {
    let j = started();
    j = advanceJourney(j, returnItem, { stepId: 'label-printed', channel: 'web', touchpointId: 'tp1', occurredAt: at(5) }).instance;
    const r = advanceJourney(j, returnItem, { stepId: 'refunded', channel: 'voice', touchpointId: 'tp2', occurredAt: at(30) });
    expect(r.instance).toMatchObject({ status: 'completed', currentStepId: 'refunded', channelsUsed: ['web', 'voice'], endTime: at(30) });
    expect(r.changes.map((c) => c.kind)).toEqual(['step_reached', 'completed']);
    expect(channelSwitches(r.instance)).toBe(1);
  });

  it('a late arrival of an earlier step does not move the current step back, but lands in time order', () => {
    let j = started();
    j = advanceJourney(j, returnItem, { stepId: 'parcel-dropped', channel: 'store', touchpointId: 'tp3', occurredAt: at(20) }).instance;
    const r = advanceJourney(j, returnItem, { stepId: 'label-printed', channel: 'email', touchpointId: 'tp2', occurredAt: at(10) });
    expect(r.instance.currentStepId).toBe('parcel-dropped');
    expect(r.instance.visits.map((v) => v.touchpointId)).toEqual(['tp0', 'tp2', 'tp3']);
    expect(r.instance.channelsUsed).toEqual(['web', 'email', 'store']);
    expect(r.instance.lastActivityTime).toEqual(at(20));
  });

  it('the same touchpoint twice changes nothing', () => {
    const j = advanceJourney(started(), returnItem, { stepId: 'label-printed', channel: 'web', touchpointId: 'tp1', occurredAt: at(5) }).instance;
    const again = advanceJourney(j, returnItem, { stepId: 'label-printed', channel: 'web', touchpointId: 'tp1', occurredAt: at(5) });
    expect(again.instance).toBe(j);
    expect(again.changes).toEqual([]);
  });

  it('is abandoned once the injected clock passes last activity + abandon_after, ending at that moment', () => {
    const j = started(0);
    expect(evaluateAbandonment(j, returnItem, at(59)).instance.status).toBe('active');
    const r = evaluateAbandonment(j, returnItem, at(60));
    expect(r.instance).toMatchObject({ status: 'abandoned', endTime: at(60) });
    expect(r.changes).toEqual([{ kind: 'abandoned', lastStepId: 'start' }]);
    const muchLater = evaluateAbandonment(j, returnItem, at(600)).instance;
    expect(muchLater.endTime).toEqual(at(60));
  });

  it('activity resets the abandon clock', () => {
    const j = advanceJourney(started(0), returnItem, { stepId: 'label-printed', channel: 'web', touchpointId: 'tp1', occurredAt: at(50) }).instance;
    expect(evaluateAbandonment(j, returnItem, at(100)).instance.status).toBe('active');
    expect(evaluateAbandonment(j, returnItem, at(110)).instance.status).toBe('abandoned');
  });

  it('rejects a step the definition does not have, naming the field', () => {
    expect(() => advanceJourney(started(), returnItem, { stepId: 'teleported', channel: 'web', touchpointId: 'x', occurredAt: at(1) })).toThrow(DomainValidationError);
    const thrown = ((): unknown => {
      try {
        startJourney(returnItem, ids, { stepId: 'nope', channel: 'web', touchpointId: 'x', occurredAt: at(1) }, at(1));
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(DomainValidationError);
    expect((thrown as DomainValidationError).violations[0]?.field).toBe('touchpoint.journey_step_id');
  });

  it('a very late first touchpoint starts an instance that is already abandoned', () => {
    const r = startJourney(returnItem, ids, { stepId: 'start', channel: 'web', touchpointId: 'tp0', occurredAt: at(0) }, at(500));
    expect(r.instance.status).toBe('abandoned');
    expect(r.changes.map((c) => c.kind)).toEqual(['step_reached', 'abandoned']);
  });

  it('chooses the active instance, or an ended one covering the time, or none', () => {
    const active = { ...started(100), journeyId: 'jrn_active' };
    const completed: JourneyInstance = { ...started(0), journeyId: 'jrn_done', status: 'completed', endTime: at(30) };
    expect(chooseInstance([completed, active], returnItem, at(110), at(110))?.journeyId).toBe('jrn_active');
    expect(chooseInstance([completed, active], returnItem, at(10), at(110))?.journeyId).toBe('jrn_done');
    expect(chooseInstance([completed], returnItem, at(50), at(110))).toBeUndefined();
    // the active one has gone idle by now: a new touchpoint starts afresh
    expect(chooseInstance([active], returnItem, at(300), at(300))).toBeUndefined();
  });

  it('validates definitions field by field', () => {
    const violations = validateDefinition({
      journeyDefinitionId: 'Bad Id',
      displayName: '',
      steps: [
        { stepId: 'a', displayName: 'A', action: '', actionDescription: '' },
        { stepId: 'a', displayName: 'A', action: 'Not Snake', actionDescription: '' },
      ],
      completionStepId: 'zzz',
      abandonAfterMs: 1000,
      intent: 'ok_intent',
    });
    expect(violations.map((v) => v.field)).toEqual([
      'journey_definition.journey_definition_id',
      'journey_definition.display_name',
      'journey_definition.steps[1].step_id',
      'journey_definition.steps[1].action',
      'journey_definition.completion_step_id',
      'journey_definition.abandon_after',
    ]);
    expect(validateDefinition({ ...returnItem, abandonAfterMs: 5 * MIN })).toEqual([]);
  });
});
