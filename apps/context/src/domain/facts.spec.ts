import { factsForPurpose, latestPerKey, purposeAllows, repeatedFactKeys } from './facts';
import { fact } from './test-data.test-util';
import type { Purpose } from './types';

describe('facts', () => {
  it('keeps the latest captured value per key, even when the older one arrives last', () => {
    const newer = fact('order_number', '1234', 10);
    const lateOlder = fact('order_number', '9999', 2);
    expect(latestPerKey([newer, lateOlder]).get('order_number')?.value).toBe('1234');
    expect(latestPerKey([lateOlder, newer]).get('order_number')?.value).toBe('1234');
  });

  it.each<[Purpose, boolean, boolean, boolean]>([
    ['service', true, true, true],
    ['personalization', true, true, false],
    ['marketing', true, false, false],
    ['profiling', true, false, false],
    ['recording', true, false, false],
    ['analytics', false, false, false],
    ['third_party_sharing', false, false, false],
  ])('purpose %s sees normal=%s personal=%s sensitive=%s', (purpose, normal, personal, sensitive) => {
    expect(purposeAllows(purpose, 'normal')).toBe(normal);
    expect(purposeAllows(purpose, 'personal')).toBe(personal);
    expect(purposeAllows(purpose, 'sensitive')).toBe(sensitive);
  });

  it('filters by purpose, counts what it held back, and sorts newest first', () => {
    const facts = [
      fact('contact_reason', 'damaged_item', 1),
      fact('order_number', '1234', 3),
      fact('card_last4', '4242', 2, { sensitivity: 'sensitive' }),
      fact('address', 'Calle Mayor 1', 4, { sensitivity: 'personal' }),
    ];
    const marketing = factsForPurpose(facts, 'marketing');
    expect(marketing.facts.map((f) => f.key)).toEqual(['order_number', 'contact_reason']);
    expect(marketing.withheldCount).toBe(2);
    const service = factsForPurpose(facts, 'service', { limit: 3 });
    expect(service.facts.map((f) => f.key)).toEqual(['address', 'order_number', 'card_last4']);
    expect(service.withheldCount).toBe(0);
    expect(factsForPurpose(facts, 'service', { keys: ['card_last4'] }).facts.map((f) => f.value)).toEqual(['4242']);
  });

  it('a key whose latest value is sensitive is withheld, not replaced by an older allowed value', () => {
    const facts = [fact('note', 'old', 1), fact('note', 'new secret', 2, { sensitivity: 'sensitive' })];
    const marketing = factsForPurpose(facts, 'marketing');
    expect(marketing.facts).toEqual([]);
    expect(marketing.withheldCount).toBe(1);
  });

  it('finds keys the customer had to repeat', () => {
    const known = [fact('order_number', '1234', 1), fact('contact_reason', 'x', 20)];
    const captured = [fact('order_number', '1234', 10), fact('contact_reason', 'x', 10), fact('email_ok', 'yes', 10)];
    expect(repeatedFactKeys(known, captured)).toEqual(['order_number']);
    expect(repeatedFactKeys(known, [])).toEqual([]);
  });
});
