/**
 * `lifeline/protocol`: the sans-I/O RFC 6455 client core. Bytes in, events
 * and bytes out; no sockets, timers or global random source.
 */
export * from './errors.js';
export * from './types.js';
export * from './permessage-deflate.js';
