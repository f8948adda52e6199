import { uuidv7 } from './ids';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID whose first 48 bits are the Unix milliseconds', () => {
    const ms = Date.UTC(2026, 10, 22, 21, 0, 0, 123);
    const id = uuidv7(ms);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms);
  });

  it('increases strictly within one millisecond, across the pool refill, and when the clock steps back', () => {
    const ms = Date.UTC(2030, 0, 1);
    const ids = [...Array.from({ length: 2_000 }, () => uuidv7(ms)), uuidv7(ms - 5_000), uuidv7(ms - 1)];
    for (const id of ids) expect(id).toMatch(UUID_V7);
    for (let i = 1; i < ids.length; i++) expect((ids[i] as string) > (ids[i - 1] as string)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('borrows the next millisecond after 4096 ids in one, keeping the order', () => {
    const ms = Date.UTC(2031, 0, 1);
    const ids = Array.from({ length: 5_000 }, () => uuidv7(ms));
    const times = ids.map((id) => parseInt(id.replace(/-/g, '').slice(0, 12), 16));
    expect(times[0]).toBe(ms);
    expect(Math.max(...times)).toBeGreaterThan(ms);
    for (let i = 1; i < ids.length; i++) expect((ids[i] as string) > (ids[i - 1] as string)).toBe(true);
  });

  it('differs in its random bits between ids of different milliseconds', () => {
    const tails = new Set(Array.from({ length: 200 }, (_, i) => uuidv7(Date.UTC(2032, 0, 1) + i).slice(19)));
    expect(tails.size).toBe(200);
  });
});
