/**
 * The scenarios of SCENARIOS.md and whether this version can play them. Pure data: the argument
 * parser, `demo --list` and the runner share it.
 */
export interface ScenarioEntry {
  readonly name: string;
  readonly title: string;
  /** The service(s) it still needs; undefined when it can be played now. */
  readonly arrivesWith?: string;
}

export const SCENARIOS: readonly ScenarioEntry[] = [
  { name: 'web-then-call', title: 'pick up where the customer left off' },
  { name: 'case-owner', title: 'several days, several channels, one engineer' },
  { name: 'vip-service', title: 'segment-differentiated service' },
  { name: 'email-stuck-web-chat', title: 'proactive help armed with context', arrivesWith: 'consent service' },
  { name: 'withdraw-and-forget', title: 'protect the customer', arrivesWith: 'consent service' },
  { name: 'dont-stalk', title: 'the contact budget', arrivesWith: 'consent service' },
  { name: 'measure', title: 'channel-agnostic outcomes and staffing', arrivesWith: 'metrics service' },
];

export function findScenario(name: string): ScenarioEntry | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
