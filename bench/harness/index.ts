// First, before anything resolves a workspace package: see source-conditions.ts.
import './source-conditions';

/**
 * The load generator every Continuum benchmark uses. Servers under test run in their own
 * process (startServer); the benchmark process drives them through the generated grpc-js
 * clients, closed loop (N in flight) or open loop (fixed arrival rate, latency from the
 * scheduled send time), records HDR histograms, measures the bare grpc-js echo the same way in
 * the same run (compareToEcho), and writes a section of bench/RESULTS.md (writeResultsSection).
 */
export { type Clock, type Nanos, NS_PER_MS, NS_PER_SEC, realClock } from './clock';
export { LatencyHistogram, type LatencySummary } from './histogram';
export { ErrorCounts, errorLabel } from './error-codes';
export { ArrivalSchedule, runOpenLoop, type LoopResult, type OpenLoopOptions } from './open-loop';
export { runClosedLoop, type ClosedLoopOptions } from './closed-loop';
export {
  runLoad,
  runScenario,
  type GrpcTarget,
  type LoadShape,
  type LoadSpec,
  type ScenarioResult,
  type ScenarioSpec,
  type ServerUsage,
} from './scenario';
export { runStreamScenario, type StreamResult, type StreamSession, type StreamSpec } from './stream';
export { BenchServerError, metadataOf, startServer, type ServerHandle, type StartServerOptions } from './server-process';
export type { BenchServer, ProcessSample, StartBenchServer } from './server-protocol';
export { unary, type UnaryMethod } from './grpc';
export {
  BARE_ECHO_SERVER_MODULE,
  BENCH_TENANT,
  ECHO_MESSAGE,
  KIT_ECHO_SERVER_MODULE,
  echoCall,
  echoMetadata,
  echoStreamSession,
  echoTarget,
  startBareEcho,
  startKitEcho,
  type EchoClient,
} from './echo-baseline';
export { compareToEcho, describeLoad, mergeRounds, type CompareSpec, type Comparison } from './compare';
export {
  type Figure,
  type Target,
  type Verdict,
  describeTarget,
  latencyFigure,
  ratioToEcho,
  serverCpuFigure,
  throughputFigure,
  verdict,
} from './figures';
export { formatNumber, markdownTable, mebibytes, micros } from './format';
export { machineInfo, type MachineInfo } from './machine';
export {
  RESULTS_FILE,
  figuresTable,
  renderSection,
  scenariosTable,
  streamsTable,
  upsertSection,
  writeResultsSection,
  type ResultsSection,
} from './report';
