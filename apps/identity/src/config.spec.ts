import { ConfigError, loadConfig } from '@continuum/kit';
import { identityConfigSchema } from './config';

const base = { AUTH_MODE: 'disabled' };

describe('identityConfigSchema', () => {
  it('has working defaults', () => {
    const config = loadConfig(identityConfigSchema, base);
    expect(config).toMatchObject({
      SERVICE_NAME: 'identity',
      GRPC_PORT: 50051,
      ADMIN_PORT: 9465,
      MONGODB_DB: 'continuum_identity',
      IDENTITY_DEFAULT_PHONE_REGION: '',
      IDENTITY_LAST_SEEN_GRANULARITY_MS: 900_000,
      IDENTITY_SETTINGS_CACHE_MS: 2_000,
      IDENTITY_SEGMENT_BATCH_SIZE: 200,
    });
  });

  it.each([
    ['IDENTITY_DEFAULT_PHONE_REGION', 'XX'],
    ['IDENTITY_LAST_SEEN_GRANULARITY_MS', '-1'],
    ['IDENTITY_SETTINGS_CACHE_MS', 'soon'],
    ['IDENTITY_SEGMENT_BATCH_SIZE', '0'],
  ])('a bad %s stops start-up naming the variable', (variable, value) => {
    try {
      loadConfig(identityConfigSchema, { ...base, [variable]: value });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([variable]);
    }
  });
});
