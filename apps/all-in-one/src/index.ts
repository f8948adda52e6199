// The all-in-one platform: every service of Continuum in one process.
export { allInOneConfigSchema, type AllInOneConfig } from './config';
export { startPlatform, type Platform, type StartedService, type StartPlatformOptions } from './platform';
export { renderBanner } from './banner';
export { HOSTED_SERVICES } from './hosted-services';
