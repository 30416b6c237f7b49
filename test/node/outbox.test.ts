/**
 * The Node connection's outbox (src/transport/node/outbox.ts) on real
 * loopback sockets: frames of one tick are corked into one write, a socket
 * that stops taking bytes makes frames wait in a queue counted exactly in
 * `bufferedAmount`, only the latest pong waits (RFC 6455 §5.5.3), 'drain'
 * hands the queue over in order, and a half-close asked for while backed up
 * waits until the queue is out (the close frame must not be lost, §5.5.1).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { once } from 'node:events';
import { Outbox } from '../../src/transport/node/outbox.js';

/** A loopback pair: `client` is ours, `peer` the server's end, paused until the test reads. */
async function socketPair(): Promise<{ client: net.Socket; peer: net.Socket; close(): void }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const accepted = once(server, 'connection') as Promise<[net.Socket]>;
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  peer.pause();
  const close = () => {
    client.destroy();
    peer.destroy();
    server.close();
  };
  after(close);
  return { client, peer, close };
}

/** Everything `peer` receives until the client ends its side. */
function readAll(peer: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => chunks.push(chunk));
  peer.resume();
  return new Promise((resolve) => peer.on('end', () => resolve(Buffer.concat(chunks))));
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

/** Writes `frameSize`-byte frames of `fill` until the socket refuses more; returns how many. */
function fillUntilBackedUp(outbox: Outbox, fill: number, frameSize = 64 * 1024): number {
  let frames = 0;
  while (!outbox.backedUp) {
    outbox.write(new Uint8Array(frameSize).fill(fill));
    frames++;
    assert.ok(frames < 100_000, 'the socket never filled');
  }
  return frames;
}

describe('Outbox', () => {
  it('corks the frames of one tick and uncorks at its end, in order', async () => {
    const { client, peer } = await socketPair();
    const outbox = new Outbox();
    outbox.socket = client;
    outbox.write(Uint8Array.of(1, 2));
    outbox.write(Uint8Array.of(3));
    assert.equal(client.writableCorked, 1, 'corked within the tick');
    assert.equal(outbox.bufferedAmount, 3, 'both frames wait in the corked socket');
    await tick();
    assert.equal(client.writableCorked, 0, 'uncorked at the end of the tick');
    const got = readAll(peer);
    client.end();
    assert.deepEqual([...(await got)], [1, 2, 3]);
  });

  it('queues once the socket is full, counting every byte in bufferedAmount', async () => {
    const { client } = await socketPair();
    const outbox = new Outbox();
    outbox.socket = client;
    fillUntilBackedUp(outbox, 0xaa);
    const before = outbox.bufferedAmount;
    outbox.write(new Uint8Array(1000));
    outbox.write(new Uint8Array(24));
    assert.equal(outbox.bufferedAmount, before + 1024, 'queued frames count exactly');
    assert.equal(outbox.flush(), false, 'still backed up: the socket has not drained');
  });

  it('keeps only the latest pong while backed up, in the place of the first', async () => {
    const { client, peer } = await socketPair();
    const outbox = new Outbox();
    outbox.socket = client;
    const filled = fillUntilBackedUp(outbox, 0xaa);
    const pong = (n: number) => Uint8Array.of(0x8a, 1, n);
    outbox.write(pong(1));
    outbox.write(Uint8Array.of(0x82, 1, 0xbb)); // a binary frame after the first pong
    const before = outbox.bufferedAmount;
    for (let n = 2; n <= 50; n++) outbox.write(pong(n));
    assert.equal(outbox.bufferedAmount, before, 'later pongs replace the waiting one');
    const got = readAll(peer);
    client.on('drain', () => {
      if (outbox.flush()) client.end();
    });
    const bytes = await got;
    const tail = bytes.subarray(filled * 64 * 1024);
    assert.deepEqual([...tail], [0x8a, 1, 50, 0x82, 1, 0xbb], 'one pong, the latest, where the first waited');
  });

  it('drains the queue in order on flush(), then reports room', async () => {
    const { client, peer } = await socketPair();
    const outbox = new Outbox();
    outbox.socket = client;
    const filled = fillUntilBackedUp(outbox, 1);
    for (let i = 2; i <= 4; i++) outbox.write(new Uint8Array(64 * 1024).fill(i));
    const got = readAll(peer);
    let reported = 0;
    client.on('drain', () => {
      if (!outbox.flush()) return;
      reported++;
      assert.equal(outbox.backedUp, false);
      client.end();
    });
    const bytes = await got;
    assert.equal(bytes.length, (filled + 3) * 64 * 1024);
    for (let i = 2; i <= 4; i++) assert.equal(bytes[(filled + i - 2) * 64 * 1024], i, `frame ${i} in order`);
    assert.equal(reported, 1, 'room reported once, when nothing waits');
    assert.equal(outbox.bufferedAmount, 0);
  });

  it('end() while backed up waits for the queue: the last frame (our close) still goes out before FIN', async () => {
    const { client, peer } = await socketPair();
    const outbox = new Outbox();
    outbox.socket = client;
    const filled = fillUntilBackedUp(outbox, 0xaa);
    const closeFrame = Uint8Array.of(0x88, 2, 0x03, 0xe8);
    outbox.write(closeFrame);
    outbox.end();
    assert.equal(client.writableEnded, false, 'not ended while the close frame waits');
    const got = readAll(peer);
    const flushes: boolean[] = [];
    client.on('drain', () => flushes.push(outbox.flush()));
    const bytes = await got;
    assert.equal(bytes.length, filled * 64 * 1024 + 4);
    assert.deepEqual([...bytes.subarray(-4)], [...closeFrame], 'the close frame is the last thing before FIN');
    assert.equal(flushes.at(-1), false, 'the flush that ended the socket reports no room to the owner');
  });

  it('end() with nothing queued half-closes at once; writes after the socket is gone are dropped', async () => {
    const { client, peer } = await socketPair();
    const outbox = new Outbox();
    outbox.socket = client;
    outbox.write(Uint8Array.of(7));
    outbox.end();
    assert.equal(client.writableEnded, true);
    assert.deepEqual([...(await readAll(peer))], [7]);
    client.destroy();
    outbox.write(Uint8Array.of(8));
    assert.equal(outbox.bufferedAmount, 0, 'nothing queued for a destroyed socket');
    outbox.clear();
    assert.equal(outbox.socket, undefined);
    outbox.write(Uint8Array.of(9)); // no socket at all: no throw
    assert.equal(outbox.flush(), true);
  });

  it('clear() forgets the queue and its count', async () => {
    const { client } = await socketPair();
    const outbox = new Outbox();
    outbox.socket = client;
    fillUntilBackedUp(outbox, 0xaa);
    outbox.write(new Uint8Array(100));
    outbox.clear();
    assert.equal(outbox.bufferedAmount, 0);
    assert.equal(outbox.backedUp, false);
  });
});
