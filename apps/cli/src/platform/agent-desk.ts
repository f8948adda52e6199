import { routingV1 } from '@continuum/contracts';
import { ScenarioStepError } from '../errors';
import { describeCallError, type RoutingClient } from './connection';

/**
 * An agent's desktop as the routing service sees it: the ConnectAgent stream that offers arrive
 * on, kept open for the whole scenario. Offers are remembered so a scenario can wait for the one
 * of a given task, and check that no other offer came.
 */
export class AgentDesk {
  readonly offers: routingV1.Offer[] = [];
  readonly withdrawn: routingV1.OfferWithdrawn[] = [];
  private stream: ReturnType<RoutingClient['connectAgent']> | undefined;
  private failure: Error | undefined;
  private closing = false;
  private reading: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly routing: RoutingClient,
    private readonly address: string,
    readonly agentId: string,
  ) {}

  /** Opens the stream and resolves with the `connected` message. */
  async open(timeoutMs: number): Promise<routingV1.Connected> {
    const stream = this.routing.connectAgent(routingV1.ConnectAgentRequest.fromPartial({ agentId: this.agentId }));
    this.stream = stream;
    let connected: routingV1.Connected | undefined;
    this.reading = (async () => {
      try {
        for await (const message of stream) {
          if (message.connected) {
            connected = message.connected;
            this.offers.push(...message.connected.openOffers);
          } else if (message.offer) this.offers.push(message.offer);
          else if (message.withdrawn) this.withdrawn.push(message.withdrawn);
          this.notify();
        }
        if (!this.closing) this.failure = new Error('the routing service ended the offer stream');
      } catch (error) {
        if (!this.closing) this.failure = describeCallError(error, 'routing', 'connectAgent', this.address);
      }
      this.notify();
    })();
    return this.until(() => connected, timeoutMs, `${this.agentId}'s offer stream to open`);
  }

  /** The offer of `taskId`, waiting up to `timeoutMs` for it. */
  async waitForOffer(taskId: string, timeoutMs: number): Promise<routingV1.Offer> {
    return this.until(() => this.offerOf(taskId), timeoutMs, `an offer of task ${taskId} to ${this.agentId}`);
  }

  offerOf(taskId: string): routingV1.Offer | undefined {
    return this.offers.findLast((o) => o.task?.taskId === taskId);
  }

  /**
   * Cancels the stream and resolves once its reading loop has ended, so the call's client span is
   * finished (and exported) before the process flushes its telemetry.
   */
  close(): Promise<void> {
    this.closing = true;
    this.stream?.cancel();
    return this.reading;
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  private until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const evaluate = (): void => {
        const value = check();
        if (value !== undefined) finish(() => resolve(value));
        else if (this.failure) finish(() => reject(new ScenarioStepError(`waiting for ${what}`, this.failure?.message ?? 'stream failed')));
      };
      const timer = setTimeout(() => finish(() => reject(new ScenarioStepError(`waiting for ${what}`, `nothing after ${timeoutMs} ms`))), timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(evaluate);
        settle();
      };
      this.listeners.add(evaluate);
      evaluate();
    });
  }
}
