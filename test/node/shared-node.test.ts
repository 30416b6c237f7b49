/**
 * `shared()` in Node: there are no tabs, so the option is accepted and the
 * connection is a normal one (the Node entry's connect() does not call the
 * sharing part): two connections of one key are two sockets, and `onRole`
 * is never called.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { connect, shared, type Connection } from '../../src/node.js';

describe('shared() in Node', () => {
  let server: TestServer;
  const open: Connection[] = [];
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const conn of open) conn.terminate();
    await server.close();
  });

  it('is a normal connection: one socket each, messages both ways, no role', async () => {
    const roles: unknown[] = [];
    const sharing = shared({ key: 'node', onRole: (info) => roles.push(info) });
    const connections = [connect(server.url('/echo'), { shared: sharing }), connect(server.url('/echo'), { shared: sharing })];
    open.push(...connections);
    const echoes = connections.map((conn) => new Promise((resolve) => conn.once('message', resolve)));
    await connections[1]!.send('hello');
    assert.equal(await echoes[1], 'hello');
    await connections[0]!.send('and hello');
    assert.equal(await echoes[0], 'and hello', 'each socket gets only its own echo');
    assert.equal(server.totalConnections, 2);
    assert.deepEqual(server.received, ['hello', 'and hello']);
    assert.deepEqual(roles, []);
  });
});
