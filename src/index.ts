/**
 * Browser entry (`import 'lifeline'` in a bundle, the `<script>` global
 * `lifeline`). Wires the resilient client to the native WebSocket. Must not
 * import node:*, the frame layer or fflate.
 */
export const version = '__LIFELINE_VERSION__';
/** The platform's WebSocket (same name as the Node build's class, for isomorphic code). */
export const WebSocket: typeof globalThis.WebSocket = globalThis.WebSocket;
