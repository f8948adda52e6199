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
/** Two hex digits of every byte value: an id is built from these, without a buffer per id. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const hex = (byte: number): string => HEX[byte] as string;
const random = (at: number): number => pool[at] as number;

/** A new UUIDv7, lower-case hex with dashes, monotonic within this process. */
export function uuidv7(now: number = Date.now()): string {
  // Nine random bytes per id, taken from a pool refilled 455 ids at a time.
  if (poolOffset + 9 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 9;
  if (now > lastMs) {
    lastMs = now;
    // Start the counter at a random point in its lower half so ids stay hard to guess yet leave
    // room to count up within the millisecond.
    counter = (random(r) << 3) & 0x7ff;
  } else {
    counter++;
    if (counter > 0xfff) {
      // 4096 ids in one millisecond: borrow the next millisecond rather than break the order.
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs;
  // The 48-bit time as two 24-bit halves (exact: below 2^53), each three bytes of hex.
  const hi = Math.floor(ms / 0x1000000);
  const lo = ms - hi * 0x1000000;
  // Version 7 and the counter (rand_a), then the variant (10) and 62 random bits (rand_b).
  return (
    hex(hi >>> 16) + hex((hi >>> 8) & 0xff) + hex(hi & 0xff) + hex(lo >>> 16) + '-' +
    hex((lo >>> 8) & 0xff) + hex(lo & 0xff) + '-' +
    hex(0x70 | (counter >>> 8)) + hex(counter & 0xff) + '-' +
    hex(0x80 | (random(r + 1) & 0x3f)) + hex(random(r + 2)) + '-' +
    hex(random(r + 3)) + hex(random(r + 4)) + hex(random(r + 5)) + hex(random(r + 6)) + hex(random(r + 7)) + hex(random(r + 8))
  );
}
