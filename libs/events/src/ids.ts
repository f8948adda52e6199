import { randomBytes } from 'node:crypto';

// UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, then 74 random bits of which the first 12
// (rand_a) serve as a counter within one millisecond. Ids made by one process are strictly
// increasing, also within a millisecond and when the clock steps back, so the outbox can order by
// id and the text order of two ids is their creation order.
let lastMs = 0;
let counter = 0;
const POOL_SIZE = 16 * 256;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function randomChunk(): Buffer {
  if (poolOffset + 10 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const chunk = pool.subarray(poolOffset, poolOffset + 10);
  poolOffset += 10;
  return chunk;
}

/** A new UUIDv7, lower-case hex with dashes, monotonic within this process. */
export function uuidv7(now: number = Date.now()): string {
  const rand = randomChunk();
  if (now > lastMs) {
    lastMs = now;
    // Start the counter at a random point in its lower half so ids stay hard to guess yet leave
    // room to count up within the millisecond.
    counter = ((rand[0] ?? 0) << 3) & 0x7ff;
  } else {
    counter++;
    if (counter > 0xfff) {
      // 4096 ids in one millisecond: borrow the next millisecond rather than break the order.
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs;
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((rand[1] ?? 0) & 0x3f);
  rand.copy(bytes, 9, 2, 9);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
