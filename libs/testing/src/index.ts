/**
 * Shared test helpers: the nats-server fixture, free ports, waiting for conditions, test tenants.
 * Used by the tests of every project; never imported by production code.
 */
export { startNatsServer, findNatsServerBinary, NatsServerNotFoundError, NatsServerStartError } from './nats-server';
export type { NatsServerFixture, NatsServerOptions } from './nats-server';
export { freePort } from './free-port';
export { waitFor, sleep, WaitForTimeoutError } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { TEST_TENANTS, uniqueTenant } from './test-tenants';
