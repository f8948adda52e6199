import type { Http2Server, Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import type { Logger } from '../logging/logger';

/** The HTTP/2 receive window of the kit's servers unless configured (bytes). */
export const DEFAULT_FLOW_CONTROL_WINDOW_BYTES = 1024 * 1024;

/**
 * Gives every connection of `server` a receive window of `windowBytes`, per stream and for the
 * connection: a client may send that much ahead of what the server has read. With HTTP/2's
 * default of 64 KiB a client stream stalls whenever the server spends a few milliseconds on what
 * it received (streamed ingestion records batches), then waits a round trip for the window update.
 * gRPC C-core and Go size these windows by probing the bandwidth-delay product; grpc-js has no
 * option for them, so the HTTP/2 servers it listens with are reached through its internal
 * `http2Servers` map. That is looked up defensively: when a grpc-js version lacks it, the default
 * window stays and a warning says so. Call once, after binding.
 */
export function widenFlowControlWindows(server: Server, windowBytes: number, logger: Logger): void {
  const http2Servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(http2Servers instanceof Map)) {
    logger.warn({ window_bytes: windowBytes }, 'gRPC server: cannot reach the HTTP/2 servers of this grpc-js version; connections keep the default 64 KiB receive window');
    return;
  }
  for (const [http2Server, info] of http2Servers.entries() as IterableIterator<[Http2Server, unknown]>) {
    http2Server.on('session', (session: Http2Session) => widen(session, windowBytes));
    // Connections accepted between listening and now (a health check, an eager client).
    const sessions = (info as { sessions?: unknown } | undefined)?.sessions;
    if (sessions instanceof Set) for (const session of sessions as Set<Http2Session>) widen(session, windowBytes);
  }
}

function widen(session: Http2Session, windowBytes: number): void {
  try {
    // The connection's window, then (in a SETTINGS frame) each stream's initial window.
    session.setLocalWindowSize(windowBytes);
    session.settings({ initialWindowSize: windowBytes });
  } catch {
    // A connection that closed before its first turn: nothing to widen.
  }
}
