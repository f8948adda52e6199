/**
 * One agent's open offer stream: messages queue here until the ConnectAgent handler writes them.
 * A stream ends when the client cancels (the handler's signal), when a newer stream of the same
 * agent replaces it, or when the agent is deleted.
 */
import type { routingV1 } from '@continuum/contracts';

export class AgentStream {
  private readonly queue: routingV1.ConnectAgentResponse[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  push(message: routingV1.ConnectAgentResponse): void {
    if (this.closed) return;
    this.queue.push(message);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** The queued messages, then every new one, until closed or aborted. */
  async *messages(signal: AbortSignal): AsyncGenerator<routingV1.ConnectAgentResponse> {
    const onAbort = (): void => this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.closed || signal.aborted) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}
