// Tests log through pino at "silent" unless LOG_LEVEL asks otherwise: the assertions read logs
// through explicit destinations, and CI output stays readable.
process.env.LOG_LEVEL ??= 'silent';
