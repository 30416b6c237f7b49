// permessage-deflate interop with a real `ws` server (RFC 7692) in each of its
// deflate configurations: context takeover both ways, serverNoContextTakeover,
// clientNoContextTakeover, serverMaxWindowBits 9..15, clientMaxWindowBits,
// threshold 0; plus our own offer variants. Text and binary of many sizes are
// echoed in both directions, and the frame trace proves that compressed
// frames (RSV1) actually crossed the wire each way.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from '../../src/transport/node/websocket.js';
import type { PerMessageDeflateOptions } from '../../src/protocol/permessage-deflate.js';
import type { TraceRecord } from '../../src/transport/node/options.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { prng } from '../support/harness.js';

const SIZES = [0, 1, 15, 16, 100, 1023, 1024, 1025, 4096, 16383, 16384, 16385, 32768, 65535, 65536, 65537, 200_000];
/** 1 MiB both ways in the two main configurations only (keeps the file well under 15 s). */
const BIG = 1 << 20;

function payloads(seed: number, big: boolean): Array<string | Uint8Array> {
  const rnd = prng(seed);
  const out: Array<string | Uint8Array> = [];
  (big ? [...SIZES, BIG] : SIZES).forEach((n, i) => {
    // Text: JSON-like (compressible). Binary: alternately low-entropy and random.
    let s = '';
    while (s.length < n) s += JSON.stringify({ i, seq: (rnd() * 1e6) | 0, kind: ['a', 'bb', 'ccc'][i % 3], ok: rnd() < 0.5 }) + ' é✓';
    out.push(s.slice(0, n).replace(/[\uD800-\uDFFF]/g, 'x'));
    const b = new Uint8Array(n);
    for (let j = 0; j < n; j++) b[j] = i % 2 ? (rnd() * 256) | 0 : (j >> 6) & 0xff;
    out.push(b);
  });
  return out;
}

interface Outcome {
  /** Our Sec-WebSocket-Extensions request header. */
  offer: string;
  extensions: string;
  compressedOut: number;
  compressedIn: number;
}

/** Opens one connection, sends every payload, checks every echo in order. */
async function echoAll(server: TestServer, pmd: boolean | PerMessageDeflateOptions, seed: number, big = false): Promise<Outcome> {
  const sent = payloads(seed, big);
  let compressedOut = 0;
  let compressedIn = 0;
  let offer = '';
  const trace = (r: TraceRecord) => {
    if ('handshake' in r && r.handshake === 'request') {
      offer = r.headers.find(([name]) => name.toLowerCase() === 'sec-websocket-extensions')?.[1] ?? '';
    }
    if ('opcode' in r && r.rsv1) {
      if (r.direction === 'out') compressedOut++;
      else compressedIn++;
    }
  };
  const ws = new WebSocket(server.url('/echo'), { perMessageDeflate: pmd, trace });
  ws.binaryType = 'arraybuffer';
  const got: Array<string | ArrayBuffer> = [];
  await new Promise<void>((resolve, reject) => {
    ws.onerror = (e: { error?: unknown; message?: string }) => reject(e.error ?? new Error(e.message ?? 'error'));
    ws.onclose = (e: { code: number; reason: string }) => reject(new Error(`closed ${e.code} ${e.reason}`));
    ws.onopen = () => {
      for (const p of sent) ws.send(p);
    };
    ws.onmessage = (e) => {
      got.push(e.data as string | ArrayBuffer);
      if (got.length === sent.length) resolve();
    };
  });
  const extensions = ws.extensions;
  await new Promise<void>((resolve) => {
    ws.onclose = () => resolve();
    ws.close(1000);
  });
  for (let i = 0; i < sent.length; i++) {
    const s = sent[i]!;
    const g = got[i]!;
    if (typeof s === 'string') assert.equal(g, s, `text #${i} (${s.length} chars)`);
    else {
      assert.ok(g instanceof ArrayBuffer, `binary #${i} arrives as ArrayBuffer`);
      assert.ok(Buffer.from(g).equals(Buffer.from(s)), `binary #${i} (${s.length} bytes)`);
    }
  }
  return { offer, extensions, compressedOut, compressedIn };
}

type Case = {
  name: string;
  server: Record<string, unknown>;
  client: boolean | PerMessageDeflateOptions;
  ext: RegExp;
  /** Our offer, when the case checks it. */
  offer?: string;
  big?: boolean;
};

const cases: Case[] = [
  // Our default offer carries a bare client_max_window_bits; a ws server that does not limit our window leaves it out (15).
  { name: 'ws defaults (context takeover both ways, threshold 1024)', server: {}, client: true, ext: /^permessage-deflate$/, offer: 'permessage-deflate; client_max_window_bits', big: true },
  { name: 'threshold 0 both sides', server: { threshold: 0 }, client: { threshold: 0 }, ext: /^permessage-deflate$/, big: true },
  { name: 'serverNoContextTakeover', server: { serverNoContextTakeover: true, threshold: 0 }, client: { threshold: 0 }, ext: /server_no_context_takeover/ },
  { name: 'clientNoContextTakeover imposed by the server', server: { clientNoContextTakeover: true, threshold: 0 }, client: { threshold: 0 }, ext: /client_no_context_takeover/ },
  { name: 'we offer client_no_context_takeover (historySize 0)', server: { threshold: 0 }, client: { threshold: 0, historySize: 0 }, ext: /client_no_context_takeover/ },
  { name: 'we offer server_no_context_takeover', server: { threshold: 0 }, client: { threshold: 0, serverNoContextTakeover: true }, ext: /server_no_context_takeover/ },
  { name: 'we offer server_max_window_bits=10', server: { threshold: 0 }, client: { threshold: 0, serverMaxWindowBits: 10 }, ext: /server_max_window_bits=10/ },
  { name: 'historySize 32768 (full window on send)', server: { threshold: 0 }, client: { threshold: 0, historySize: 32768 }, ext: /^permessage-deflate$/ },
  ...[9, 10, 11, 12, 13, 14, 15].map((bits) => ({
    name: `serverMaxWindowBits ${bits}`,
    server: { serverMaxWindowBits: bits, threshold: 0 },
    client: { threshold: 0 },
    ext: new RegExp(`server_max_window_bits=${bits}`),
  })),
  // A server that limits our window, answering our default (bare) offer: we compress at that window (node:zlib), and ws inflates with it.
  ...[8, 9, 12].map((bits) => ({
    name: `clientMaxWindowBits ${bits} set by the server (default offer)`,
    server: { clientMaxWindowBits: bits, threshold: 0 },
    client: { threshold: 0 },
    ext: new RegExp(`client_max_window_bits=${bits}`),
    offer: 'permessage-deflate; client_max_window_bits',
  })),
  { name: 'clientMaxWindowBits: false (no window bound offered), ws defaults', server: {}, client: { clientMaxWindowBits: false }, ext: /^permessage-deflate$/, offer: 'permessage-deflate' },
];

describe('permessage-deflate interop with a ws server', () => {
  for (const [i, c] of cases.entries()) {
    describe(c.name, () => {
      let server: TestServer;
      before(async () => {
        server = await startTestServer({ perMessageDeflate: c.server });
      });
      after(async () => {
        await server.close();
      });
      it('echoes text and binary of every size both ways, compressed frames each way', async () => {
        const r = await echoAll(server, c.client, 100 + i, c.big);
        if (c.offer !== undefined) assert.equal(r.offer, c.offer);
        assert.match(r.extensions, c.ext);
        assert.ok(r.compressedOut > 0, 'we sent compressed frames');
        assert.ok(r.compressedIn > 0, 'we received compressed frames');
      });
    });
  }

  describe('a ws server that requires a client window (clientMaxWindowBits 10)', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ perMessageDeflate: { clientMaxWindowBits: 10 } });
    });
    after(async () => {
      await server.close();
    });
    it('refuses an offer without client_max_window_bits (HTTP 400): why lifeline offers it by default', async () => {
      const ws = new WebSocket(server.url('/echo'), { perMessageDeflate: { clientMaxWindowBits: false } });
      const error = await new Promise<{ status?: number | undefined }>((resolve) => (ws.onerror = resolve));
      assert.equal(error.status, 400);
      const ok = new WebSocket(server.url('/echo'));
      await new Promise((resolve, reject) => {
        ok.onopen = resolve;
        ok.onerror = reject;
      });
      assert.equal(ok.extensions, 'permessage-deflate; client_max_window_bits=10');
      ok.close();
    });
  });

  describe('perMessageDeflate: false', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ perMessageDeflate: { threshold: 0 } });
    });
    after(async () => {
      await server.close();
    });
    it('offers nothing: no extension, no RSV1 either way', async () => {
      const r = await echoAll(server, false, 7);
      assert.equal(r.extensions, '');
      assert.equal(r.compressedOut + r.compressedIn, 0);
    });
  });
});
