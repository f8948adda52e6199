/**
 * A gRPC service config retrying UNAVAILABLE only (AIP-194: the one code that says the request
 * was not processed, so any method may be retried safely), with exponential backoff. Everything
 * else is the caller's decision.
 */
export function retryServiceConfig(serviceName: string, maxAttempts = 4): string {
  return JSON.stringify({
    methodConfig: [
      {
        name: [{ service: serviceName }],
        retryPolicy: {
          maxAttempts,
          initialBackoff: '0.1s',
          maxBackoff: '2s',
          backoffMultiplier: 2,
          retryableStatusCodes: ['UNAVAILABLE'],
        },
      },
    ],
  });
}
