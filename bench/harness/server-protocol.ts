/**
 * The contract between a benchmark and the process that serves the target. A server module
 * (e.g. `bench/echo/bare-echo-server.ts`) exports `start(options)`; the harness runs it in a
 * forked process of its own (see server-process.ts) so the server never shares an event loop
 * with the load generator.
 */
export interface BenchServer {
  /** `host:port` a grpc-js client can dial. */
  readonly address: string;
  /** Anything worth recording next to the figures (data set size, backend, kit or bare). */
  readonly info?: Readonly<Record<string, string | number | boolean>>;
  /**
   * gRPC metadata every client call must carry (`x-tenant-id`, `authorization: Bearer …` of a
   * token this server trusts). Never written to RESULTS.md.
   */
  readonly clientMetadata?: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** What a server module exports (as `start`, or the name given to startServer). */
export type StartBenchServer<O = Record<string, unknown>> = (options: O) => Promise<BenchServer>;

/** Memory and CPU of the server process at one moment. */
export interface ProcessSample {
  /** Resident set size, bytes. */
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  /** Memory of C++ objects bound to JS (Buffers included), bytes. */
  readonly external: number;
  /** CPU time used by the process since it started, microseconds (user + system). */
  readonly cpuMicros: number;
}

export type ParentMessage = { type: 'sample'; id: number; gc: boolean } | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; address: string; info: Record<string, string | number | boolean>; clientMetadata: Record<string, string> }
  | { type: 'failed'; message: string }
  | { type: 'sample'; id: number; sample: ProcessSample }
  | { type: 'stopped' };
