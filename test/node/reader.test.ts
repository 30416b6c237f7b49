/**
 * The socket reader (src/transport/node/reader.ts): where each read lands and
 * what the connection is handed. First the policy, driven through the
 * reader's own `onread` functions with real bytes; then real loopback
 * sockets, where every binary message a user keeps must stay intact while
 * later reads land (the shared region is reused by every quiet socket, and
 * private slabs must never be written twice).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SocketReader, SHARED_READ, SLAB, type ReadTarget } from '../../src/transport/node/reader.js';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { serveRaw, frame } from '../support/raw-server.js';

const serve = serveRaw();
// A slab read into again is first filled with 0xee: a view kept by mistake shows as corrupt data.
SocketReader.poison = true;

/** A target that records reads; `holds` says which memory it still keeps (releases() answers from it). */
function collector(): ReadTarget & { chunks: Uint8Array[]; holds: Set<ArrayBufferLike>; asked: ArrayBufferLike[] } {
  const chunks: Uint8Array[] = [];
  const holds = new Set<ArrayBufferLike>();
  const asked: ArrayBufferLike[] = [];
  return {
    chunks,
    holds,
    asked,
    readChunk: (c) => void chunks.push(c),
    releases: (m) => {
      asked.push(m);
      return !holds.has(m);
    },
  };
}

/** Simulates the kernel: writes `bytes` at the start of the region and calls the callback, as Node does. */
function land(r: SocketReader, bytes: Uint8Array): Uint8Array {
  const region = r.next();
  assert.ok(bytes.length <= region.length, 'a read never exceeds its region');
  region.set(bytes);
  r.read(bytes.length, region);
  return region;
}

const fill = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);

describe('SocketReader: where reads land', () => {
  it('a quiet socket reads into the one shared region; what lands there is copied out', () => {
    const a = new SocketReader();
    const b = new SocketReader();
    const ta = collector();
    const tb = collector();
    a.target = ta;
    b.target = tb;
    assert.equal(a.next(), b.next(), 'quiet readers share one region');
    assert.equal(a.next().length, SHARED_READ);
    const region = land(a, fill(300, 1));
    land(b, fill(500, 2)); // overwrites the shared region
    assert.notEqual(ta.chunks[0]!.buffer, region.buffer, 'the chunk is a copy, not the shared memory');
    assert.deepEqual(ta.chunks[0], fill(300, 1), "a's bytes survive b's read into the same region");
    assert.deepEqual(tb.chunks[0], fill(500, 2));
    assert.equal(a.next(), region, 'after a short read the socket waits in the shared region again');
  });

  it('a read that fills its region moves to a private slab; a short read goes back to the shared region', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    const shared = r.next();
    land(r, fill(SHARED_READ, 1));
    const a = r.next();
    assert.notEqual(a.buffer, shared.buffer);
    assert.equal(a.length, SLAB);
    land(r, fill(SLAB, 2));
    assert.equal(t.chunks[1]!.buffer, a.buffer, 'a private read is handed over as a view of its slab (no copy)');
    land(r, fill(1000, 3));
    assert.equal(r.next(), shared, 'drained: back to the shared region');
  });

  it('a busy socket alternates two slabs once the target releases the older one', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    land(r, fill(SHARED_READ, 0));
    const a = land(r, fill(SLAB, 1));
    const b = land(r, fill(SLAB, 2));
    assert.notEqual(b.buffer, a.buffer);
    assert.deepEqual(t.asked, [a.buffer], 'after the read into b the target is asked about a');
    assert.equal(r.next(), a, 'a is read into again');
    assert.ok(r.next().every((x) => x === 0xee), 'poisoned before reuse (tests)');
    land(r, fill(SLAB, 3));
    assert.equal(r.next(), b);
    assert.deepEqual(t.chunks[3], fill(SLAB, 3));
  });

  it('a slab the target still holds, or one a view was kept of, is never read into again', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    land(r, fill(SHARED_READ, 0));
    const a = land(r, fill(SLAB, 1));
    t.holds.add(a.buffer); // e.g. the core still queues a's unparsed tail
    const b = land(r, fill(SLAB, 2));
    const c = r.next();
    assert.notEqual(c, a);
    assert.notEqual(c, b);
    t.holds.clear();
    // A view of c's read goes out for good (a binary message the user keeps).
    const keeper: ReadTarget = { readChunk: () => r.keep(), releases: t.releases! };
    r.target = keeper;
    land(r, fill(SLAB, 3));
    r.target = t;
    assert.equal(r.next(), b, 'b was released');
    land(r, fill(SLAB, 4));
    const d = r.next();
    assert.notEqual(d, c, 'c was kept: never reused');
    assert.notEqual(d, a);
    assert.deepEqual(new Uint8Array(c), fill(SLAB, 3), "the kept read's bytes are intact");
  });

  it('a target without releases() never gets a slab back (the dial)', () => {
    const r = new SocketReader();
    const seen = new Set<Buffer>();
    r.target = { readChunk() {} };
    land(r, fill(SHARED_READ, 0));
    for (let i = 0; i < 4; i++) {
      const region = r.next();
      assert.equal(seen.has(region), false);
      seen.add(region);
      land(r, fill(SLAB, i));
    }
  });

  it('hands Buffers when asked (binaryType nodebuffer), plain Uint8Arrays otherwise', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    land(r, fill(10, 1));
    r.buffers = true;
    land(r, fill(10, 2));
    land(r, fill(SHARED_READ, 3));
    land(r, fill(10, 4)); // a view of a private slab
    assert.equal(Buffer.isBuffer(t.chunks[0]), false);
    assert.equal(Buffer.isBuffer(t.chunks[1]), true);
    assert.equal(Buffer.isBuffer(t.chunks[3]), true);
  });

  it('after detach() reads are dropped', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    r.detach();
    land(r, fill(10, 1));
    assert.equal(t.chunks.length, 0);
  });
});

function payload(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

/** Opens a client and keeps every message it receives. */
async function keepAll(url: string, binaryType: 'nodebuffer' | 'arraybuffer'): Promise<{ ws: WebSocket; got: unknown[]; until(n: number): Promise<void> }> {
  const ws = new WebSocket(url, [], { perMessageDeflate: false });
  ws.binaryType = binaryType;
  const got: unknown[] = [];
  let want = Infinity;
  let wake: (() => void) | undefined;
  ws.onmessage = (e) => {
    got.push(e.data);
    if (got.length >= want) wake?.();
  };
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (e) => reject(e.error);
  });
  return {
    ws,
    got,
    until: (n) =>
      got.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            want = n;
            wake = resolve;
          }),
  };
}

const asBuffer = (d: unknown) => (d instanceof ArrayBuffer ? Buffer.from(d) : (d as Buffer));

describe('SocketReader on real sockets: kept messages stay intact', () => {
  it('two quiet connections trading small reads through the shared region', async () => {
    const conns: { write(b: Buffer): void }[] = [];
    const s = await serve((c) => {
      c.socket.write(c.accept());
      conns.push(c.socket);
    });
    const a = await keepAll(s.url('/a'), 'nodebuffer');
    const b = await keepAll(s.url('/b'), 'nodebuffer');
    const sent: Buffer[][] = [[], []];
    // Each message is its own small read (the client waits for it), alternating sockets.
    for (let i = 0; i < 60; i++) {
      const k = i & 1;
      const p = payload(20 + ((i * 97) % 900), i);
      sent[k]!.push(p);
      conns[k]!.write(frame(0x2, p));
      await [a, b][k]!.until(sent[k]!.length);
    }
    a.ws.terminate();
    b.ws.terminate();
    for (const [k, c] of [a, b].entries()) {
      assert.equal(c.got.length, 30);
      c.got.forEach((d, i) => assert.ok(asBuffer(d).equals(sent[k]![i]!), `connection ${k}, message ${i} intact`));
    }
  });

  for (const binaryType of ['nodebuffer', 'arraybuffer'] as const) {
    it(`a 6 MiB burst of mixed sizes (reads grow into private slabs), binaryType ${binaryType}`, async () => {
      const sizes = [16, 1024, 65_536, 200_000, 0, 125, 126, 65_535, 300_000, 3, 70_000, 4096];
      const msgs: Buffer[] = [];
      for (let i = 0; msgs.reduce((n, m) => n + m.length, 0) < 6 * 1024 * 1024; i++) msgs.push(payload(sizes[i % sizes.length]!, i));
      const texts = msgs.map((_, i) => `text ${i} ${'é'.repeat(i % 50)}`);
      const s = await serve((c) => {
        c.socket.write(c.accept());
        // One write: the kernel's buffers fill, so client reads fill their regions.
        c.socket.write(Buffer.concat(msgs.flatMap((m, i) => [frame(0x2, m), frame(0x1, texts[i]!)])));
      });
      const c = await keepAll(s.url('/'), binaryType);
      await c.until(msgs.length * 2);
      c.ws.terminate();
      for (let i = 0; i < msgs.length; i++) {
        assert.ok(asBuffer(c.got[2 * i]).equals(msgs[i]!), `binary message ${i} (${msgs[i]!.length} B) intact at the end`);
        assert.equal(c.got[2 * i + 1], texts[i]);
      }
    });
  }
});
