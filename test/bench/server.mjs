// Benchmark server, run as a child process by run.mjs (never imported).
// Modes:
//   ws                 a `ws` WebSocketServer that echoes every message
//   firehose <size> <text|binary> [deflate]
//                      a raw node:net server: answers the opening handshake
//                      (RFC 6455 §4.2.2) then writes pre-built frames as fast
//                      as the socket drains, so the client is the bottleneck.
// Talks to the parent over IPC: sends {port} when listening, answers
// {cmd:'cpu'} with its process.cpuUsage(); exits when the parent goes away.
import { createServer } from 'node:net';
import { WebSocketServer } from 'ws';
import { acceptKey, frame, messages, repeatToChunk, deflateLoop } from './frames.mjs';

const [mode, sizeArg, kind, deflateArg] = process.argv.slice(2);
const LIFETIME_MS = Number(process.env.BENCH_SERVER_LIFETIME_MS ?? 30 * 60_000);

// Always exit: parent gone, or an absolute lifetime.
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), LIFETIME_MS).unref();
process.on('message', (m) => {
  if (m?.cmd === 'cpu') process.send({ cpu: process.cpuUsage() });
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
} else {
  process.stderr.write(`unknown server mode ${mode}\n`);
  process.exit(2);
}
