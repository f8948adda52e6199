// The context domain: pure rules, no I/O, time passed in.
export * from './types';
export * from './errors';
export * from './timeline';
export * from './facts';
export * from './journey';
export * from './next-best-action';
export * from './intent';
export * from './merge';
export * from './context-view';
