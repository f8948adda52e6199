import { PassThrough } from 'node:stream';
import { CallCancelledError } from './error-mapping';
import { readRequests } from './request-stream';

const objects = (): PassThrough => new PassThrough({ objectMode: true });

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('readRequests', () => {
  it('yields every request in order, those buffered before reading and those arriving later, and ends at half-close', async () => {
    const stream = objects();
    stream.write({ n: 1 });
    stream.write({ n: 2 });
    const reading = collect(readRequests<{ n: number }>(stream, new AbortController().signal));
    await new Promise((resolve) => setImmediate(resolve));
    stream.write({ n: 3 });
    stream.end({ n: 4 });
    expect((await reading).map((r) => r.n)).toEqual([1, 2, 3, 4]);
    expect(stream.listenerCount('readable')).toBe(0);
  });

  it('throws the abort reason when the call is cancelled while it waits, and lets go of the stream', async () => {
    const stream = objects();
    const controller = new AbortController();
    const reading = collect(readRequests(stream, controller.signal));
    stream.write({ n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    const reason = new Error('deadline exceeded');
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
    expect(stream.listenerCount('readable') + stream.listenerCount('end') + stream.listenerCount('close')).toBe(0);
  });

  it('throws at once for a call already cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(collect(readRequests(objects(), controller.signal))).rejects.toThrow('cancelled');
  });

  it('throws the stream error, and a stream closed without being ended is a cancelled call, not an end', async () => {
    const failing = objects();
    const reading = collect(readRequests(failing, new AbortController().signal));
    failing.destroy(new Error('connection reset'));
    await expect(reading).rejects.toThrow('connection reset');

    const closed = objects();
    const closing = collect(readRequests(closed, new AbortController().signal));
    closed.destroy();
    await expect(closing).rejects.toBeInstanceOf(CallCancelledError);
  });

  it('leaves the stream open and readable when the reader breaks out early', async () => {
    const stream = objects();
    stream.write({ n: 1 });
    stream.write({ n: 2 });
    for await (const request of readRequests<{ n: number }>(stream, new AbortController().signal)) {
      expect(request.n).toBe(1);
      break;
    }
    expect(stream.destroyed).toBe(false);
    expect(stream.read()).toEqual({ n: 2 });
    expect(stream.listenerCount('readable')).toBe(0);
  });

  it('reads a long stream through one listener, released at the end', async () => {
    const stream = objects();
    const controller = new AbortController();
    const iterator = readRequests<number>(stream, controller.signal);
    let total = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 200; i++) stream.write(i);
      for (let i = 0; i < 200; i++) total += (await iterator.next()).value as number;
    }
    expect(total).toBe(50 * 19900);
    expect(stream.listenerCount('readable')).toBe(1);
    stream.end();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(stream.listenerCount('readable')).toBe(0);
  });
});
