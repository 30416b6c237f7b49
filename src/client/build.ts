/**
 * One build switch. `RICH` is true in the tsc output (the Node entry, every
 * test) and false in the browser bundle: rollup.config.mjs rewrites it there,
 * because that bundle's only transport is the native WebSocket
 * (src/transport/browser.ts), whose capabilities are all false: no protocol
 * ping, no receive pause, no drain callback, no activity/pong callbacks, no
 * Retry-After. The client's
 * code for those capabilities is dead in that bundle, so it is left out.
 * Behaviour does not change: every such path is also guarded by what the
 * transport offers at run time, and the client tests run it in Node and
 * Chromium on fake transports with Node's capabilities.
 *
 * Owns: the switch. Imports: nothing.
 */
export const RICH: boolean = true;
