// The client's own cost per received message, without a socket: the path
// from a transport's `message` callback to the application's `message`
// handler (parts, stats, codec, the ordered event queue), which every
// platform shares. The transport is a stand-in that hands over prepared
// messages; the client is the built one (build/src). Not part of `npm test`.
//
//   npm run build && node test/bench/receive-path.mjs [--quick]
//
// Per row: nanoseconds per message (best of the rounds, after a warm-up),
// and bytes of garbage per message: how much the young generation grew over
// a batch small enough to fit in it without a collection (a collection
// during the batch would show as a drop; the batch is then measured again).
// Exports runReceivePathBench({quick}) for test/bench/run.mjs.
import { pathToFileURL, fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const here = fileURLToPath(import.meta.url);

const newSpaceUsed = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_used_size;

/** A client on a stand-in transport, open, its `message` handler counting; returns the transport's `message` callback. */
async function openClient(options) {
  const { connectWith } = await import(pathToFileURL(join(ROOT, 'build/src/client/client.js')).href);
  const { browserFeatures } = await import(pathToFileURL(join(ROOT, 'build/src/client/features.js')).href);
  const { realClock } = await import(pathToFileURL(join(ROOT, 'build/src/client/clock.js')).href);
  let handlers;
  const transport = { bufferedAmount: 0, send() {}, close() {}, terminate() {} };
  const factory = (url, transportOptions, given) => {
    handlers = given;
    return transport;
  };
  const conn = connectWith(factory, 'ws://bench.invalid/', options, {
    clock: realClock,
    random: Math.random,
    lifecycle: undefined,
    features: browserFeatures,
  });
  await new Promise((resolve) => setTimeout(resolve, 0)); // the first attempt starts after the URL provider settles
  handlers.open({ protocol: '', extensions: '' });
  let received = 0;
  conn.on('message', () => received++);
  return { deliver: handlers.message, received: () => received, close: () => conn.terminate() };
}

const decoder = new TextDecoder();
/** `prefix` and a letter picked by `i`, as one flat string. */
const flat = (prefix, i) => decoder.decode(new TextEncoder().encode(prefix + String.fromCharCode(97 + (i % 26))));

/** Bytes the young generation grew over `count` calls of `deliver`, retried when a collection cut in (NaN if one always did). */
function youngGrowth(deliver, messages, bytes, count) {
  for (let attempt = 0; attempt < 5; attempt++) {
    gc();
    const before = newSpaceUsed();
    for (let i = 0; i < count; i++) deliver(messages[i % messages.length], bytes);
    const grown = newSpaceUsed() - before;
    if (grown >= 0) return grown;
  }
  return NaN;
}

/** Garbage per message: what the client's path grew the young generation by, less what the loop and the measuring grow it by alone. */
function garbagePerMessage(deliver, messages, bytes, count) {
  const alone = youngGrowth(() => {}, messages, bytes, count);
  return (youngGrowth(deliver, messages, bytes, count) - alone) / count;
}

export async function runReceivePathBench({ quick = false } = {}) {
  const rounds = quick ? 3 : 7;
  const perRound = quick ? 200_000 : 1_000_000;
  const rows = [];
  const kinds = [
    // Flat strings, as a transport's decoder makes them (a concatenation would be a rope the first reader flattens).
    { label: 'text 16 B', make: (i) => flat('abcdefghijklmno', i), bytes: 16 },
    { label: 'text 1 KiB', make: (i) => flat('x'.repeat(1023), i), bytes: 1024 },
    { label: 'binary 16 B', make: (i) => new Uint8Array(16).fill(i), bytes: 16 },
  ];
  for (const kind of kinds) {
    // Prepared before measuring: only the client's own work is timed and weighed.
    const messages = Array.from({ length: 64 }, (_, i) => kind.make(i));
    const client = await openClient({});
    for (let i = 0; i < perRound; i++) client.deliver(messages[i % messages.length], kind.bytes); // warm-up: the JIT settles
    let best = Infinity;
    for (let round = 0; round < rounds; round++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < perRound; i++) client.deliver(messages[i % messages.length], kind.bytes);
      best = Math.min(best, Number(process.hrtime.bigint() - start) / perRound);
    }
    // Every message must have reached the handler, or the row timed a shortcut.
    if (client.received() !== perRound * (rounds + 1)) throw new Error(`${kind.label}: ${client.received()} of ${perRound * (rounds + 1)} messages reached the handler`);
    const garbage = garbagePerMessage(client.deliver, messages, kind.bytes, 2_000);
    client.close();
    rows.push({ 'received message': kind.label, 'ns per message': +best.toFixed(1), 'garbage, bytes per message': Number.isNaN(garbage) ? '—' : Math.round(garbage) });
  }
  return { rows, note: `best of ${rounds} rounds of ${perRound.toLocaleString('en-US')} messages; garbage over 2,000 messages without a collection; Node ${process.versions.node}` };
}

if (process.argv[1] === here) {
  const { fmtGeneric } = await import('./report.mjs');
  const result = await runReceivePathBench({ quick: process.argv.includes('--quick') });
  console.log(fmtGeneric(result.rows));
  console.log(`\n${result.note}`);
}
