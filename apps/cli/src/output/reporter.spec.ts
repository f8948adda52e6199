import { humanReporter, jsonReporter } from './reporter';

function sink(isTTY = false) {
  const chunks: string[] = [];
  return { isTTY, write: (text: string) => void chunks.push(text), text: () => chunks.join(''), chunks };
}

describe('humanReporter', () => {
  it('prints headings, party lines and tables on stdout, without colour when not a terminal', () => {
    const out = sink();
    const err = sink();
    const reporter = humanReporter(out, err, {});
    reporter.header('web-then-call', 'pick up where the customer left off', [['tenant', 'demo-1']]);
    reporter.interaction('call', '3', 'She calls', '0af7651916cd43dd8448eb211c80319c');
    reporter.say('customer', 'calls from her mobile');
    reporter.table('agent', 'recent touchpoints', ['when', 'channel'], [['now', 'voice']]);
    expect(out.text()).toBe(
      [
        'web-then-call — pick up where the customer left off',
        '═══════════════════════════════════════════════════',
        '  tenant  demo-1',
        '',
        '',
        '▸ 3. She calls',
        '  trace 0af7651916cd43dd8448eb211c80319c',
        '  customer    calls from her mobile',
        '  agent       recent touchpoints',
        '              when  channel',
        '              now   voice',
        '',
      ].join('\n'),
    );
    expect(out.text()).not.toContain('\x1b[');
    expect(err.text()).toBe('');
  });

  it('colours a terminal unless NO_COLOR is set', () => {
    const tty = sink(true);
    humanReporter(tty, sink(), {}).say('agent', 'hello');
    expect(tty.text()).toContain('\x1b[32m');
    const noColour = sink(true);
    humanReporter(noColour, sink(), { NO_COLOR: '1' }).say('agent', 'hello');
    expect(noColour.text()).not.toContain('\x1b[');
  });

  it('records every step with the interaction it belongs to', () => {
    const reporter = humanReporter(sink(), sink(), {});
    reporter.say('platform', 'before');
    reporter.interaction('web-visit', '1', 'visit', 't1');
    reporter.say('channel', 'recognized', [['assurance', 'NONE'], ['empty', undefined]]);
    expect(reporter.steps).toEqual([
      { interaction: undefined, party: 'platform', text: 'before', fields: {} },
      { interaction: 'web-visit', party: 'channel', text: 'recognized', fields: { assurance: 'NONE' } },
    ]);
  });
});

describe('progress', () => {
  it('writes a start and an end line with the elapsed time to a log', () => {
    const err = sink();
    let clock = 1000;
    const progress = humanReporter(sink(), err, {}, () => clock).progress('waiting for the merge');
    clock += 1500;
    progress.update('still waiting');
    progress.done('merge reached context');
    expect(err.text()).toBe('  … waiting for the merge\n  ✓ merge reached context (1.5 s)\n');
  });

  it('rewrites one line in place on a terminal and marks failures', () => {
    const err = sink(true);
    let clock = 0;
    const progress = humanReporter(sink(), err, {}, () => clock).progress('waiting');
    clock = 200;
    progress.update('waiting more');
    progress.fail('gave up');
    expect(err.chunks).toEqual(['  … waiting', '\r\x1b[2K  … waiting more (200 ms)', '\r\x1b[2K  ✘ gave up (200 ms)\n']);
  });
});

describe('jsonReporter', () => {
  it('keeps stdout free for the final document: only steps are recorded, progress goes to stderr', () => {
    const err = sink();
    const reporter = jsonReporter(err);
    reporter.header('x', 'y', []);
    reporter.say('agent', 'sees the journey', [['step', 'label-printed']]);
    reporter.progress('waiting').done();
    expect(reporter.steps).toHaveLength(1);
    expect(err.text()).toContain('✓ waiting');
  });
});
