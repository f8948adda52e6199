import { arrow, duration, relativeTime, renderFields, renderInteractionHeading, renderPartyLine, renderScenarioHeader, renderTable, shortNumber } from './render';

describe('renderPartyLine', () => {
  it('puts the party in a fixed column and aligns the fields under the text', () => {
    expect(
      renderPartyLine('agent', 'agt-ana accepts the call', [
        ['journey', 'return-item at label-printed'],
        ['known facts', 'order_number = A-10492'],
      ]),
    ).toEqual([
      '  agent       agt-ana accepts the call',
      '              journey      return-item at label-printed',
      '              known facts  order_number = A-10492',
    ]);
  });

  it('continues multi-line text and multi-line values in their columns', () => {
    expect(renderPartyLine('supervisor', 'first\nsecond', [['agents', 'a\nb']])).toEqual([
      '  supervisor  first',
      '              second',
      '              agents  a',
      '                      b',
    ]);
  });

  it('leaves out fields without a value', () => {
    expect(renderPartyLine('channel', 'x', [['shown', 0], ['empty', ''], ['missing', undefined], ['flag', false]])).toEqual([
      '  channel     x',
      '              shown  0',
      '              flag   false',
    ]);
  });
});

describe('renderFields', () => {
  it('aligns on the longest label', () => {
    expect(renderFields([['a', '1'], ['longer', '2']], '> ')).toEqual(['> a       1', '> longer  2']);
  });
  it('renders nothing for no fields', () => {
    expect(renderFields([], '  ')).toEqual([]);
  });
});

describe('headings', () => {
  it('underlines the scenario title and lists the target', () => {
    expect(renderScenarioHeader('web-then-call', 'pick up', [['tenant', 'demo-1']])).toEqual([
      'web-then-call — pick up',
      '═══════════════════════',
      '  tenant  demo-1',
      '',
    ]);
  });
  it('numbers an interaction and shows its trace id', () => {
    expect(renderInteractionHeading('2', 'She logs in', 'abc123')).toEqual(['', '▸ 2. She logs in', '  trace abc123']);
    expect(renderInteractionHeading('Setup', 'x', undefined)).toEqual(['', '▸ Setup. x']);
  });
});

describe('renderTable', () => {
  it('sizes columns to their widest cell and does not pad the last one', () => {
    expect(
      renderTable(
        ['when', 'channel', 'what'],
        [
          ['22 min ago', 'web', 'printed the label'],
          ['now', 'voice', 'booked a pickup'],
        ],
        '',
      ),
    ).toEqual(['when        channel  what', '22 min ago  web      printed the label', 'now         voice    booked a pickup']);
  });
});

describe('relativeTime', () => {
  const now = new Date('2025-01-10T12:00:00Z');
  it.each([
    ['2025-01-10T12:00:00Z', 'now'],
    ['2025-01-10T11:59:30Z', '30 s ago'],
    ['2025-01-10T11:38:00Z', '22 min ago'],
    ['2025-01-10T09:00:00Z', '3 h ago'],
    ['2025-01-07T12:00:00Z', '3 days ago'],
    ['2025-01-10T12:00:20Z', 'in 20 s'],
  ])('%s → %s', (when, expected) => {
    expect(relativeTime(new Date(when), now)).toBe(expected);
  });
  it('is empty for no time', () => {
    expect(relativeTime(undefined, now)).toBe('');
  });
});

describe('small formatters', () => {
  it('format arrows, numbers and durations for people', () => {
    expect(arrow(['started', 'label-printed'])).toBe('started → label-printed');
    expect(shortNumber(2)).toBe('2');
    expect(shortNumber(1 / 3)).toBe('0.33');
    expect(duration(850)).toBe('850 ms');
    expect(duration(2400)).toBe('2.4 s');
  });
});
