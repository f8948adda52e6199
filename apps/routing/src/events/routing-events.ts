/**
 * The events routing publishes (domain `routing`), and their payloads built from the engine's
 * effects. They go through the outbox, in the transaction that stores the task's new state.
 * Payloads carry ids and categories only: no personal data.
 */
import { routingV1 } from '@continuum/contracts';
import { defineEvent, type EventType, type NewEvent } from '@continuum/events';
import type { RoutingEffect, TaskView } from '../domain/model';
import { channelToProto, outcomeToProto, preferenceToProto, stageToProto } from '../mapping';

export const ROUTING_DOMAIN = 'routing';

export const RoutingEvents = {
  taskCreated: defineEvent({ domain: ROUTING_DOMAIN, type: 'task_created', payloadType: 'continuum.routing.v1.TaskCreatedEvent', codec: routingV1.TaskCreatedEvent }),
  taskOffered: defineEvent({ domain: ROUTING_DOMAIN, type: 'task_offered', payloadType: 'continuum.routing.v1.TaskOfferedEvent', codec: routingV1.TaskOfferedEvent }),
  taskAccepted: defineEvent({ domain: ROUTING_DOMAIN, type: 'task_accepted', payloadType: 'continuum.routing.v1.TaskAcceptedEvent', codec: routingV1.TaskAcceptedEvent }),
  taskRejected: defineEvent({ domain: ROUTING_DOMAIN, type: 'task_rejected', payloadType: 'continuum.routing.v1.TaskRejectedEvent', codec: routingV1.TaskRejectedEvent }),
  taskTimedOut: defineEvent({ domain: ROUTING_DOMAIN, type: 'task_timed_out', payloadType: 'continuum.routing.v1.TaskTimedOutEvent', codec: routingV1.TaskTimedOutEvent }),
  taskCompleted: defineEvent({ domain: ROUTING_DOMAIN, type: 'task_completed', payloadType: 'continuum.routing.v1.TaskCompletedEvent', codec: routingV1.TaskCompletedEvent }),
  taskAbandoned: defineEvent({ domain: ROUTING_DOMAIN, type: 'task_abandoned', payloadType: 'continuum.routing.v1.TaskAbandonedEvent', codec: routingV1.TaskAbandonedEvent }),
} as const;

/** One event to append: its type and what the outbox needs. */
export interface PendingEvent<P = unknown> {
  readonly type: EventType<P>;
  readonly event: NewEvent<P>;
}

function pending<P>(type: EventType<P>, tenantId: string, task: TaskView, payload: P): PendingEvent {
  const subject = task.submission.profileId;
  return { type, event: { tenantId, payload, ...(subject !== '' ? { subjectProfileId: subject } : {}) } } as PendingEvent;
}

export function taskRef(task: TaskView): routingV1.TaskRef {
  const s = task.submission;
  return {
    taskId: s.id,
    queueId: s.queueId,
    channel: channelToProto(task.channel),
    segmentIds: [...task.explanation.segmentIds],
    caseId: s.caseId,
    intent: s.intent,
    createTime: new Date(s.submittedAt),
  };
}

export function taskCreatedEvent(tenantId: string, task: TaskView): PendingEvent {
  return pending(RoutingEvents.taskCreated, tenantId, task, {
    task: taskRef(task),
    basePriority: Math.round(task.basePriority),
    contextAvailable: task.submission.contextAvailable,
    preferredAgentId: task.preferredAgentId,
    preference: preferenceToProto(task.preference),
  });
}

/** The events of an engine effect (none for presence changes, which are not routing events). */
export function eventsOf(tenantId: string, effect: RoutingEffect, teamOf: (agentId: string) => string): PendingEvent[] {
  switch (effect.kind) {
    case 'offered': {
      const t = effect.task;
      return [
        pending(RoutingEvents.taskOffered, tenantId, t, {
          task: taskRef(t),
          agentId: effect.agentId,
          offerId: effect.offerId,
          attempt: t.offerCount,
          stage: stageToProto(t.explanation.stage),
          ring: t.explanation.ring,
          waitMs: (t.offeredAt ?? t.submission.submittedAt) - t.submission.submittedAt,
          expireTime: t.offerExpiresAt !== undefined ? new Date(t.offerExpiresAt) : undefined,
        }),
      ];
    }
    case 'accepted': {
      const t = effect.task;
      return [
        pending(RoutingEvents.taskAccepted, tenantId, t, {
          task: taskRef(t),
          agentId: effect.agentId,
          offerId: effect.offerId,
          waitMs: (t.acceptedAt ?? 0) - t.submission.submittedAt,
          teamId: teamOf(effect.agentId),
        }),
      ];
    }
    case 'rejected':
      return [pending(RoutingEvents.taskRejected, tenantId, effect.task, { task: taskRef(effect.task), agentId: effect.agentId, offerId: effect.offerId, reason: effect.reason })];
    case 'timed_out':
      return [pending(RoutingEvents.taskTimedOut, tenantId, effect.task, { task: taskRef(effect.task), agentId: effect.agentId, offerId: effect.offerId, offerOpenMs: effect.openMs })];
    case 'completed': {
      const t = effect.task;
      const accepted = t.acceptedAt ?? t.submission.submittedAt;
      return [
        pending(RoutingEvents.taskCompleted, tenantId, t, {
          task: taskRef(t),
          agentId: effect.agentId,
          outcome: outcomeToProto(t.outcome),
          wrapUpCode: t.wrapUpCode,
          waitMs: accepted - t.submission.submittedAt,
          handleMs: (t.endedAt ?? accepted) - accepted,
          teamId: teamOf(effect.agentId),
        }),
      ];
    }
    case 'abandoned': {
      const t = effect.task;
      return [
        pending(RoutingEvents.taskAbandoned, tenantId, t, {
          task: taskRef(t),
          waitMs: (t.endedAt ?? t.submission.submittedAt) - t.submission.submittedAt,
          offeredAgentId: effect.offeredAgentId,
        }),
      ];
    }
    case 'presence_changed':
      return [];
  }
}
