/**
 * The routing domain's own errors. domain/ cannot import the kit, so the server maps each of
 * these to the kit's error of the same meaning (mapError in server.ts).
 */

/** Base of every routing domain error; `reason` is the UPPER_SNAKE ErrorInfo reason. */
export abstract class RoutingDomainError extends Error {
  abstract readonly kind: 'not_found' | 'already_exists' | 'failed_precondition' | 'invalid_argument';
  constructor(
    readonly reason: string,
    message: string,
    /** The request field the error is about, for invalid_argument. */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown when a task id is not known to this tenant's engine. */
export class TaskNotFoundError extends RoutingDomainError {
  readonly kind = 'not_found';
  constructor(taskId: string) {
    super('TASK_NOT_FOUND', `task ${taskId} not found`);
  }
}

/** Thrown when a queue id is not known to this tenant. */
export class QueueNotFoundError extends RoutingDomainError {
  readonly kind = 'not_found';
  constructor(queueId: string, field?: string) {
    super('QUEUE_NOT_FOUND', `queue ${queueId} not found`, field);
  }
}

/** Thrown when an agent id is not known to this tenant. */
export class AgentNotFoundError extends RoutingDomainError {
  readonly kind = 'not_found';
  constructor(agentId: string) {
    super('AGENT_NOT_FOUND', `agent ${agentId} not found`);
  }
}

/** Thrown when a task with this id was submitted already. */
export class TaskAlreadyExistsError extends RoutingDomainError {
  readonly kind = 'already_exists';
  constructor(taskId: string) {
    super('TASK_ALREADY_EXISTS', `task ${taskId} exists already`);
  }
}

/** Thrown when an accept or reject names an offer that is not open for that agent. */
export class OfferNotOpenError extends RoutingDomainError {
  readonly kind = 'failed_precondition';
  constructor(taskId: string, agentId: string) {
    super('OFFER_NOT_OPEN', `task ${taskId} has no open offer for agent ${agentId}`);
  }
}

/** Thrown when a task is not in the status an operation needs (complete before accept, cancel after accept). */
export class TaskStatusError extends RoutingDomainError {
  readonly kind = 'failed_precondition';
  constructor(taskId: string, status: string, operation: string) {
    super('TASK_STATUS_CONFLICT', `task ${taskId} is ${status}: cannot ${operation}`);
  }
}

/** Thrown when a queue or agent still has unfinished tasks and cannot be deleted. */
export class ResourceInUseError extends RoutingDomainError {
  readonly kind = 'failed_precondition';
  constructor(what: string, id: string) {
    super(`${what.toUpperCase()}_IN_USE`, `${what} ${id} still has unfinished tasks`);
  }
}

/** Thrown when a task's channel differs from its queue's. */
export class ChannelMismatchError extends RoutingDomainError {
  readonly kind = 'invalid_argument';
  constructor(field: string, queueChannel: string) {
    super('CHANNEL_MISMATCH', `the queue serves ${queueChannel}`, field);
  }
}
