// Benchmark server, run as a child process by run.mjs (never imported).
// Modes:
//   ws                 a `ws` WebSocketServer that echoes every message
//   firehose <size> <text|binary> [deflate]
//                      a raw node:net server: answers the opening handshake
//                      (RFC 6455 §4.2.2) then writes pre-built frames as fast
//                      as the socket drains, so the client is the bottleneck.
// Talks to the parent over IPC: sends {port} when listening, answers
// {cmd:'cpu'} with its process.cpuUsage() and {cmd:'stats'} with the sink's
// counts for its latest connection; exits when the parent goes away.
import { createServer } from 'node:net';
import { createInflateRaw } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { acceptKey, frame, messages, repeatToChunk, deflateLoop } from './frames.mjs';

const [mode, sizeArg, kind, deflateArg] = process.argv.slice(2);
const LIFETIME_MS = Number(process.env.BENCH_SERVER_LIFETIME_MS ?? 30 * 60_000);

// Always exit: parent gone, or an absolute lifetime.
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), LIFETIME_MS).unref();
/** The sink's counts for its latest connection. */
let sinkStats = null;
process.on('message', (m) => {
  if (m?.cmd === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (m?.cmd === 'stats') process.send({ stats: sinkStats });
  if (m?.cmd === 'exit') process.exit(0);
});

if (mode === 'ws') {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024, backlog: 2048 });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {});
  });
  wss.on('listening', () => process.send({ port: wss.address().port }));
} else if (mode === 'firehose') {
  const size = Number(sizeArg);
  const opcode = kind === 'binary' ? 2 : 1;
  const deflate = deflateArg === 'deflate';
  let prefix = Buffer.alloc(0);
  let chunk;
  let ratio = 1;
  if (deflate) {
    const d = await deflateLoop(size, opcode);
    prefix = d.prefix;
    chunk = repeatToChunk(d.loopFrames).chunk;
    ratio = d.ratio;
  } else {
    chunk = repeatToChunk(messages(size, 16).map((m) => frame(opcode, m))).chunk;
  }
  const server = createServer({ noDelay: true }, (sock) => {
    sock.on('error', () => {});
    let head = Buffer.alloc(0);
    const onHead = (data) => {
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16384) sock.destroy();
        return;
      }
      sock.off('data', onHead);
      sock.on('data', () => {}); // drain whatever the client sends (its close frame)
      const text = head.subarray(0, end).toString('latin1');
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(text)?.[1];
      const offered = /^sec-websocket-extensions:.*permessage-deflate/im.test(text);
      if (!key || (deflate && !offered)) {
        process.stderr.write(`firehose: bad handshake (key=${key}, deflate offered=${offered})\n`);
        sock.destroy();
        return;
      }
      sock.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
          (deflate ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '') +
          '\r\n',
      );
      if (prefix.length) sock.write(prefix);
      const pump = () => {
        while (!sock.destroyed) {
          if (!sock.write(chunk)) {
            sock.once('drain', pump);
            return;
          }
        }
      };
      pump();
    };
    sock.on('data', onHead);
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, ratio }));
} else if (mode === 'sink') {
  const size = Number(sizeArg);
  const server = createServer({ noDelay: true }, (sock) => {
    sock.on('error', () => {});
    const stats = { messages: 0, compressed: 0, wirePayloadBytes: 0, plainBytes: 0, inflatedBytes: 0, wrongSize: 0, error: null };
    sinkStats = stats;
    // One raw inflater for the connection: the compressed payloads, each with
    // the 00 00 FF FF the sender removed (RFC 7692 §7.2.2), form one DEFLATE
    // stream whose window spans messages (context takeover).
    const inflate = createInflateRaw({ windowBits: 15 });
    inflate.on('data', (c) => (stats.inflatedBytes += c.length));
    inflate.on('error', (e) => (stats.error = `inflate: ${e.message}`));
    const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
    let buf = Buffer.alloc(0);
    let handshaken = false;
    /** The message being assembled: its RSV1, its fragments. */
    let message = null;
    const onFrames = () => {
      let off = 0;
      for (;;) {
        if (buf.length - off < 2) break;
        const b0 = buf[off];
        const b1 = buf[off + 1];
        let len = b1 & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length - off < 4) break;
          len = buf.readUInt16BE(off + 2);
          head = 4;
        } else if (len === 127) {
          if (buf.length - off < 10) break;
          len = Number(buf.readBigUInt64BE(off + 2));
          head = 10;
        }
        const masked = (b1 & 0x80) !== 0;
        const total = head + (masked ? 4 : 0) + len;
        if (buf.length - off < total) break;
        const opcode = b0 & 0x0f;
        const payload = Buffer.from(buf.subarray(off + head + (masked ? 4 : 0), off + total));
        if (masked) {
          const key = buf.subarray(off + head, off + head + 4);
          for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
        }
        off += total;
        if (opcode === 8) {
          sock.end();
          return;
        }
        if (opcode >= 8) continue;
        if (opcode !== 0) message = { rsv1: (b0 & 0x40) !== 0, parts: [] };
        if (!message) continue;
        message.parts.push(payload);
        if ((b0 & 0x80) === 0) continue;
        const whole = Buffer.concat(message.parts);
        stats.messages++;
        stats.wirePayloadBytes += whole.length;
        stats.plainBytes += size;
        if (message.rsv1) {
          stats.compressed++;
          inflate.write(whole);
          // false: zlib is behind; stop reading until it catches up.
          if (!inflate.write(TAIL)) {
            sock.pause();
            inflate.once('drain', () => sock.resume());
          }
        } else if (whole.length !== size) stats.wrongSize++;
        message = null;
      }
      buf = buf.subarray(off);
    };
    sock.on('data', (data) => {
      buf = buf.length ? Buffer.concat([buf, data]) : data;
      if (handshaken) return onFrames();
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = buf.subarray(0, end).toString('latin1');
      buf = buf.subarray(end + 4);
      handshaken = true;
      const key = /^sec-websocket-key:\s*(\S+)/im.exec(text)?.[1];
      const offered = /^sec-websocket-extensions:.*permessage-deflate/im.test(text);
      sock.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
          (offered ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '') +
          '\r\n',
      );
      onFrames();
    });
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
} else {
  process.stderr.write(`unknown server mode ${mode}\n`);
  process.exit(2);
}
