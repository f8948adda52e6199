import type { Readable } from 'node:stream';

/**
 * The requests of a client/bidi stream as an async iterable that ends when the client
 * half-closes and throws the abort reason when the call is cancelled or times out (a plain
 * stream iterator would wait forever). Breaking out of the loop does not destroy the call: a bidi
 * handler may stop reading and keep writing.
 */
export async function* readRequests<T>(stream: Readable, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = stream.iterator({ destroyOnReturn: false }) as AsyncIterator<T>;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    while (true) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Resolves once `signal` aborts; rejects never. For racing a handler against its deadline. */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
