/** The identity domain: pure rules for normalizing, matching, merging, segments and assurance. */
export * from './types';
export * from './errors';
export * from './events';
export * from './normalize';
export * from './policy';
export * from './profile';
export * from './traits';
export * from './segments';
export * from './merge';
export * from './resolve';
export * from './operations';
