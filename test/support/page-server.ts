/**
 * A loopback HTTP server for pages that browser tests drive from Node: the
 * shipped bundles (dist/) and the compiled test pages (build/test/), plus
 * small HTML pages given by the test. Each server is one origin
 * (http://127.0.0.1:<port>); start two for two origins. Node-only test
 * support; imports nothing from src/.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
/** Only these folders of the repository are served. */
const SERVED = ['dist', join('build', 'test'), join('build', 'src')];
const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.map': 'application/json', '.html': 'text/html; charset=utf-8' };

export interface PageServer {
  readonly origin: string;
  url(path: string): string;
  close(): Promise<void>;
}

/** Serves `pages` (path -> HTML) and the files under dist/ and build/test, build/src. */
export async function startPageServer(pages: Readonly<Record<string, string>>): Promise<PageServer> {
  const server: Server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    // No `no-store`: it would keep pages out of the back/forward cache, which the tests want to see used.
    response.setHeader('cache-control', 'no-cache');
    const page = pages[path];
    if (page !== undefined) {
      response.setHeader('content-type', TYPES['.html']!);
      response.end(page);
      return;
    }
    const file = normalize(join(root, decodeURIComponent(path)));
    const allowed = SERVED.some((dir) => file.startsWith(join(root, dir) + sep));
    try {
      if (!allowed) throw new Error('not served');
      const body = await readFile(file);
      response.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
      response.end(body);
    } catch {
      response.statusCode = 404;
      response.end('not found');
    }
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    url: (path) => `${origin}${path}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
