import type { Readable } from 'node:stream';
import { CallCancelledError } from './error-mapping';

/**
 * The requests of a client/bidi stream as an async iterator that ends when the client
 * half-closes and throws the abort reason when the call is cancelled or times out (a plain
 * stream iterator would wait forever). Breaking out of the loop does not destroy the call: a bidi
 * handler may stop reading and keep writing.
 *
 * Buffered requests are taken straight from the stream; only an empty buffer waits. Nothing is
 * kept per request: a stream that lives for a shift and carries millions of messages holds no
 * more than one that carried ten (racing each read against an abort promise would leave a
 * reaction on that promise per message until the call ends).
 */
export function readRequests<T>(stream: Readable, signal: AbortSignal): AsyncIterableIterator<T> {
  let failure: { error: unknown } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onEnd = (): void => {
    ended = true;
    poke();
  };
  const onError = (error: unknown): void => {
    failure ??= { error };
    poke();
  };
  const onClose = (): void => {
    // Closed without the client ending it: the client went away (a cancelled call).
    if (!stream.readableEnded) failure ??= { error: signal.aborted ? signal.reason : new CallCancelledError() };
    poke();
  };
  const onAbort = (): void => {
    failure ??= { error: signal.reason };
    poke();
  };
  let listening = true;
  const stopListening = (): void => {
    if (!listening) return;
    listening = false;
    stream.off('readable', poke);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
    signal.removeEventListener('abort', onAbort);
  };
  stream.on('readable', poke);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });

  const done = (): IteratorResult<T> => ({ value: undefined, done: true });
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        if (failure) {
          stopListening();
          throw failure.error;
        }
        if (!listening) return done();
        const value = stream.read() as T | null;
        if (value !== null) return { value, done: false };
        if (ended || stream.readableEnded) {
          stopListening();
          return done();
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<T>> {
      stopListening();
      return done();
    },
  };
  return iterator;
}

/** Resolves once `signal` aborts; rejects never. For racing a handler against its deadline. */
export function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
