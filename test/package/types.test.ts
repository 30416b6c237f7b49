/**
 * The packed tarball's declarations, type-checked the way users' projects
 * check them, with both compilers users have: TypeScript 5.9 (the JS
 * compiler most projects and their tools run) and TypeScript 7 (the native
 * compiler, `typescript` latest, which the repository builds with);
 * `skipLibCheck: false` (only
 * TypeScript's own lib files are not re-checked: `skipDefaultLibCheck`,
 * which halves the time), `strict`, in
 *   - a browser project (moduleResolution bundler, lib DOM, no @types/node):
 *     gets the browser declarations (the `types` condition after `browser`
 *     and `node`); Node-only names and options are type errors there;
 *   - a Node project with moduleResolution nodenext (TypeScript adds the
 *     `node` condition): the Node declarations, also from a .cts file;
 *   - a Node project with moduleResolution bundler and
 *     `customConditions: ["node"]` (what the README tells such projects to
 *     set); without it, it gets the browser declarations, as checked too;
 *   - a Node project with the libraries that take a WebSocket implementation
 *     (graphql-ws `webSocketImpl`, partysocket's `WebSocket` option,
 *     @supabase/realtime-js `transport`), lib DOM included as by default.
 * Each project is written into the consumer folder that has lifeline-ws
 * installed from the tarball (test/support/packed.ts).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { packedConsumer, root } from '../support/packed.js';

const run = promisify(execFile);

/**
 * The `tsc` of the TypeScript whose version starts with `major`: 5.9 from
 * the test/package/consumers workspace, 7 from the root's node_modules.
 */
function compiler(from: string, major: string): string {
  const require = createRequire(join(root, from, 'package.json'));
  const pkgJson = require.resolve('typescript/package.json');
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  assert.ok(version.startsWith(`${major}.`), `${from}'s typescript is ${version}, expected ${major}.x`);
  return join(dirname(pkgJson), 'bin', 'tsc');
}

/** The compilers every project is checked with. */
const COMPILERS = [
  { name: 'TypeScript 5.9', tsc: () => compiler('test/package/consumers', '5.9') },
  { name: 'TypeScript 7', tsc: () => compiler('.', '7') },
];

const STRICT = { strict: true, skipLibCheck: false, skipDefaultLibCheck: true, noEmit: true, target: 'es2022' };

const BROWSER_TSCONFIG = {
  compilerOptions: { ...STRICT, module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom', 'dom.iterable'], types: [] },
  files: ['main.ts'],
};

const BROWSER_MAIN = `
import {
  connect, WebSocket, json, version, defaultShouldReconnect,
  ErrorCodes, LifelineError, ProtocolError, HandshakeError,
  type ErrorCode, type Connection, type ConnectOptions, type CloseInfo,
} from 'lifeline-ws';
import { parseUrl, perMessageDeflate } from 'lifeline-ws/protocol';

const options: ConnectOptions = { protocols: ['json'], codecs: { json } };
const conn: Connection = connect('wss://example.com/feed', options);
conn.on('message', (message) => console.log(message));
void conn.send('hello');
conn.close(1000, 'bye');

// The browser entry's WebSocket is the platform's own.
const native: globalThis.WebSocket = new WebSocket('wss://example.com/raw');
native.onmessage = (event: MessageEvent) => console.log(event.data);

// The error classes and codes, as in Node.
function explain(error: unknown): string {
  if (error instanceof HandshakeError) return error.code + ' ' + String(error.status);
  if (error instanceof ProtocolError) return error.code + ' ' + error.closeCode;
  if (error instanceof LifelineError) return error.code;
  return String(error);
}
const code: ErrorCode = ErrorCodes.QUEUE_FULL;
const info: CloseInfo = { code: 1006, reason: '', wasClean: false };
console.log(version, explain(undefined), code, info, defaultShouldReconnect, parseUrl('wss://a/b').resource, perMessageDeflate().offer());
`;

/** Node-only names and options used from the browser project: exactly these errors are expected. */
const BROWSER_NODE_ONLY = `
import { connect, nodeTransport, WebSocket } from 'lifeline-ws';
connect('wss://example.com', { socket: { rejectUnauthorized: false } });
console.log(nodeTransport);
// The browser entry's WebSocket is the platform's: no third argument for Node's connection options.
console.log(new WebSocket('wss://example.com', [], { socketPath: '/run/daemon.sock' }));
`;

const NODE_MAIN = `
import {
  connect, WebSocket, nodeTransport, createNodeTransport, json,
  ErrorCodes, HandshakeError, LifelineError, ProtocolError,
  type NodeConnectOptions, type WebSocketOptions, type MessageData, type WebSocketEventMap, type ErrorCode, type CloseInfo,
} from 'lifeline-ws';
import { Protocol, parseUrl, perMessageDeflate, type PerMessageDeflateOptions } from 'lifeline-ws/protocol';
import { connect as createTlsConnection } from 'node:tls';

type IsAny<T> = 0 extends 1 & T ? true : false;

const deflate: PerMessageDeflateOptions = { clientMaxWindowBits: 10, threshold: 256 };
const socket: WebSocketOptions = { rejectUnauthorized: false, perMessageDeflate: deflate };
// The connection options from ws / node:net / node:tls, typed by @types/node.
const routed: WebSocketOptions = {
  socketPath: '/run/daemon.sock',
  lookup: (hostname, options, callback) => callback(null, '127.0.0.1', 4),
  headers: { Host: 'api.internal' },
  pfx: [Buffer.from('pfx'), { buf: 'pem', passphrase: 'secret' }],
  ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  checkServerIdentity: (hostname, cert) => (cert.subject.CN === hostname ? undefined : new Error('pinned')),
};
const own: WebSocketOptions = { createConnection: (options) => createTlsConnection({ ...options, servername: 'a.example' }) };
// @ts-expect-error minVersion takes TLS version names only
const badVersion: WebSocketOptions = { minVersion: 'TLSv1.4' };
console.log(routed, own, badVersion);
const options: NodeConnectOptions = { socket, protocols: ['json'], codecs: { json } };
const conn = connect('wss://example.com/feed', options);
conn.on('message', (message) => console.log(message));

const ws = new WebSocket('wss://example.com/raw', ['chat'], { handshakeTimeout: 5000 });
ws.binaryType = 'nodebuffer';
// Typed like lib.dom's WebSocket: the event map decides the event type; data is never any.
ws.addEventListener('message', (event) => {
  const data: MessageData = event.data;
  const notAny: IsAny<typeof event.data> = false;
  if (typeof data === 'string') console.log(data.toUpperCase(), notAny);
});
ws.onmessage = (event) => {
  const notAny: IsAny<typeof event.data> = false;
  console.log(notAny, event.data);
};
ws.addEventListener('error', (event) => {
  if (event.error instanceof HandshakeError) console.log(event.error.status, event.status, event.retryAfterMs);
});
ws.onerror = (event) => console.log(event.error.message, event.status);
ws.addEventListener('close', (event) => console.log(event.code, event.reason, event.wasClean));
ws.addEventListener('ping', (event) => console.log(event.data.readUInt8(0)));
ws.addEventListener('open', function () {
  console.log(this.protocol, this.extensions);
}, { once: true });
const closeType: WebSocketEventMap['close']['type'] = 'close';
// @ts-expect-error an event the map does not name gets a plain Event, which has no data
ws.addEventListener('custom', (event) => event.data);
void ws.ping().then((rtt: number) => console.log(rtt));

function explain(error: unknown): string {
  if (error instanceof HandshakeError) return error.code + ' ' + String(error.status);
  if (error instanceof ProtocolError) return error.code + ' ' + error.closeCode;
  if (error instanceof LifelineError) return error.code;
  return String(error);
}
const code: ErrorCode = ErrorCodes.HANDSHAKE_STATUS;
const info: CloseInfo = { code: 1006, reason: '', wasClean: false };
console.log(closeType, code, info, explain(null), nodeTransport, createNodeTransport({ proxy: false }), Protocol, parseUrl('ws://h/').host, perMessageDeflate(deflate));
`;

const NODE_CJS = `
import lifeline = require('lifeline-ws');
const ws = new lifeline.WebSocket('wss://example.com');
ws.addEventListener('message', (event) => console.log(event.data));
export const isLifelineError = (error: unknown): boolean => error instanceof lifeline.LifelineError;
`;

const LIBRARIES = `
import { WebSocket } from 'lifeline-ws';
import { createClient } from 'graphql-ws';
import ReconnectingWebSocket from 'partysocket/ws';
import { RealtimeClient } from '@supabase/realtime-js';

// graphql-ws: webSocketImpl
const graphql = createClient({ url: 'ws://localhost/graphql', webSocketImpl: WebSocket, lazy: true });
// partysocket / reconnecting-websocket: the WebSocket option
const party = new ReconnectingWebSocket('ws://localhost/party', [], { WebSocket, maxRetries: 3 });
// @supabase/realtime-js: transport (its WebSocketLikeConstructor, with DOM event types)
const realtime = new RealtimeClient('ws://localhost/realtime', { transport: WebSocket, params: { apikey: 'key' } });
console.log(graphql, party, realtime);
`;

const NODE_SERVER = `
import { sessionServer } from 'lifeline-ws/server';
console.log(sessionServer);
`;

interface Project {
  /** The compilers that check it (default: all); a tsconfig one of them rejects is checked by the others only. */
  compilers?: string[];
  files: Record<string, string>;
  tsconfig: object;
  packageType?: 'module';
}

const NODE_BASE = { ...STRICT, lib: ['es2022'], types: ['node'], exactOptionalPropertyTypes: true };

const PROJECTS: Record<string, Project> = {
  browser: { tsconfig: BROWSER_TSCONFIG, files: { 'main.ts': BROWSER_MAIN } },
  'browser-node-only': { tsconfig: BROWSER_TSCONFIG, files: { 'main.ts': BROWSER_NODE_ONLY } },
  'node-nodenext': {
    packageType: 'module',
    tsconfig: { compilerOptions: { ...NODE_BASE, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['main.ts', 'require.cts'] },
    files: { 'main.ts': NODE_MAIN, 'require.cts': NODE_CJS },
  },
  // `module: commonjs` without a moduleResolution. TypeScript 5.9 resolves as node10, which ignores `exports`: the subpaths' types come from `typesVersions`.
  'node-commonjs': {
    tsconfig: { compilerOptions: { ...NODE_BASE, module: 'commonjs' }, files: ['main.ts', 'server.ts'] },
    files: { 'main.ts': NODE_MAIN, 'server.ts': NODE_SERVER },
  },
  // TypeScript 7 resolves the same project as `bundler` (no node10 any more), so it needs the node condition, as the README says.
  'node-commonjs-node-condition': {
    compilers: ['TypeScript 7'],
    tsconfig: { compilerOptions: { ...NODE_BASE, module: 'commonjs', customConditions: ['node'] }, files: ['main.ts', 'server.ts'] },
    files: { 'main.ts': NODE_MAIN, 'server.ts': NODE_SERVER },
  },
  'node-bundler': {
    tsconfig: { compilerOptions: { ...NODE_BASE, module: 'esnext', moduleResolution: 'bundler', customConditions: ['node'] }, files: ['main.ts'] },
    files: { 'main.ts': NODE_MAIN },
  },
  'node-bundler-without-node-condition': {
    tsconfig: { compilerOptions: { ...NODE_BASE, lib: ['es2022', 'dom'], module: 'esnext', moduleResolution: 'bundler' }, files: ['main.ts'] },
    files: { 'main.ts': BROWSER_NODE_ONLY },
  },
  libraries: {
    packageType: 'module',
    // No `lib`: TypeScript's default, which includes DOM, as in most Node projects.
    tsconfig: { compilerOptions: { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] }, files: ['main.ts'] },
    files: { 'main.ts': LIBRARIES },
  },
};

/** Runs the functions given to it at most `concurrency` at a time. */
function limit(concurrency: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return (fn) =>
    new Promise((resolve, reject) => {
      const start = () => {
        active++;
        fn()
          .then(resolve, reject)
          .finally(() => {
            active--;
            waiting.shift()?.();
          });
      };
      if (active < concurrency) start();
      else waiting.push(start);
    });
}

/** Writes project `name` under the consumer folder (a folder per compiler) and runs `tsc` on it; returns tsc's exit code and its error lines. */
async function typeCheck(dir: string, name: string, compilerName: string, tsc: string): Promise<{ code: number; errors: string[] }> {
  const project = PROJECTS[name]!;
  const at = join(dir, 'types', compilerName.replace(/\W+/g, '-'), name);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'tsconfig.json'), JSON.stringify(project.tsconfig, null, 2));
  writeFileSync(join(at, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, ...(project.packageType ? { type: project.packageType } : {}) }));
  for (const [file, text] of Object.entries(project.files)) writeFileSync(join(at, file), text);
  try {
    await run(process.execPath, [tsc, '-p', join(at, 'tsconfig.json'), '--pretty', 'false'], { cwd: at, timeout: 120_000 });
    return { code: 0, errors: [] };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    return { code: typeof e.code === 'number' ? e.code : -1, errors: out.split('\n').filter((l) => / error TS\d+/.test(l)) };
  }
}

// One suite per compiler, on the one packed tarball.
for (const { name, tsc } of COMPILERS) {
  describe(`types from the packed tarball (${name}, skipLibCheck false)`, { timeout: 300_000 }, () => {
    let dir = '';
    const results = new Map<string, Promise<{ code: number; errors: string[] }>>();
    before(() => {
      dir = packedConsumer().dir;
      // All projects start here, two tsc processes at a time (two cores); each test awaits its own.
      const slot = limit(2);
      const compiler = tsc();
      for (const project of Object.keys(PROJECTS).filter((key) => PROJECTS[key]!.compilers?.includes(name) ?? true)) results.set(project, slot(() => typeCheck(dir, project, name, compiler)));
    });

    const result = (project: string) => results.get(project)!;

    it('browser project (bundler resolution, lib DOM, no @types/node): the browser declarations, 0 errors', async () => {
      assert.deepEqual(await result('browser'), { code: 0, errors: [] });
    });

    it('browser project: a Node-only export, the Node-only `socket` option and WebSocket options are type errors', async () => {
      const r = await result('browser-node-only');
      assert.equal(r.errors.length, 3, r.errors.join('\n'));
      assert.match(r.errors[0]!, /error TS2305: Module '"lifeline-ws"' has no exported member 'nodeTransport'/);
      assert.match(r.errors[1]!, /error TS2353: .*'socket' does not exist in type 'ConnectOptions'/);
      assert.match(r.errors[2]!, /error TS2554: Expected 1-2 arguments, but got 3/);
    });

    it('Node project, nodenext (ESM and a .cts file): the Node declarations, typed WebSocket events, 0 errors', async () => {
      assert.deepEqual(await result('node-nodenext'), { code: 0, errors: [] });
    });

    if (name === 'TypeScript 5.9') {
      it('Node project, module commonjs (node10 resolution): the Node declarations, and those of lifeline-ws/protocol and lifeline-ws/server, 0 errors', async () => {
        assert.deepEqual(await result('node-commonjs'), { code: 0, errors: [] });
      });
    } else {
      it('Node project, module commonjs (bundler resolution): gets the browser declarations without the node condition, the Node ones with it', async () => {
        const without = await result('node-commonjs');
        assert.match(without.errors[0] ?? '', /error TS2305: Module '"lifeline-ws"' has no exported member 'nodeTransport'/, without.errors.join('\n'));
        assert.deepEqual(await result('node-commonjs-node-condition'), { code: 0, errors: [] });
      });
    }

    it('Node project, bundler resolution with customConditions ["node"]: the Node declarations, 0 errors', async () => {
      assert.deepEqual(await result('node-bundler'), { code: 0, errors: [] });
    });

    it('Node project, bundler resolution without the node condition: gets the browser declarations (so the README says to add it)', async () => {
      const r = await result('node-bundler-without-node-condition');
      assert.deepEqual(r.errors.map((l) => /error (TS\d+)/.exec(l)![1]), ['TS2305', 'TS2353', 'TS2554'], r.errors.join('\n'));
    });

    it("libraries that take a WebSocket implementation accept lifeline's: graphql-ws, partysocket, @supabase/realtime-js", async () => {
      assert.deepEqual(await result('libraries'), { code: 0, errors: [] });
    });
  });
}
