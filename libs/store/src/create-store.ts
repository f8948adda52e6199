import type { DocumentStore } from './types';
import { createEmbeddedStore } from './embedded/embedded-store';
import type { MongoDocumentStore, MongoStoreOptions } from './mongodb/mongodb-store';

/** The few logger methods the store uses (a pino logger fits). */
export interface StoreLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface CreateStoreOptions {
  /** MongoDB connection string (a replica set: transactions need one). Absent or empty: the embedded store. */
  mongodbUri?: string;
  /** Database name for the MongoDB backend (default: the one in the URI, else `continuum`). */
  dbName?: string;
  logger?: StoreLogger;
}

/**
 * Creates the document store of a process: MongoDB when a URI is configured (the distributed
 * mode), otherwise the embedded in-process store (the all-in-one default). For MongoDB it connects
 * before returning, so a wrong URI fails at start-up.
 */
export async function createStore(options: CreateStoreOptions = {}): Promise<DocumentStore> {
  const uri = options.mongodbUri?.trim();
  if (uri !== undefined && uri !== '') {
    return connectMongoStore({ uri, dbName: options.dbName, logger: options.logger });
  }
  options.logger?.info({ backend: 'embedded' }, 'document store: embedded (in memory, state is lost when the process stops)');
  return createEmbeddedStore();
}

/**
 * Connects to MongoDB and returns the store (fails fast when the server cannot be reached). The
 * driver is loaded here, on first use, not when the package is imported: an embedded process never
 * loads it, and a service that starts telemetry first gets the driver instrumented.
 */
export async function connectMongoStore(options: MongoStoreOptions): Promise<MongoDocumentStore> {
  const mongo = await import('./mongodb/mongodb-store.js');
  return mongo.connectMongoStore(options);
}
