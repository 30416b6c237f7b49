// Bundles the tsc output in build/src into dist/ for the three kinds of users:
//   dist/browser.mjs      ESM for browsers and bundlers (native WebSocket; no
//                         node:*, no frame layer, no fflate)
//   dist/lifeline.min.js  minified IIFE for <script>, global `lifeline`
//   dist/node.mjs|.cjs    Node entry (own transport over net/tls)
//   dist/protocol.mjs|.cjs  `lifeline/protocol`, the sans-I/O core
//   dist/server.mjs|.cjs  `lifeline-ws/server`, reliable sessions for servers
//   dist/cli.mjs          the `lifeline` command
//   dist/types/           .d.ts for every entry (emitted by tsc)
// `npm run build` runs tsc first; this file only bundles. Source maps chain
// back to src/*.ts through tsc's maps.
import { readFileSync, existsSync, rmSync, cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const B = 'build/src';
const external = (id) => id.startsWith('node:') || id === 'fflate' || id === 'mitt';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

/** Feeds rollup tsc's JS together with its source map, so dist maps point at src/*.ts. */
function tscMaps() {
  return {
    name: 'tsc-maps',
    load(id) {
      if (!id.startsWith(join(process.cwd(), 'build')) || !id.endsWith('.js')) return null;
      const code = readFileSync(id, 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
      const mapFile = id + '.map';
      return { code, map: existsSync(mapFile) ? readFileSync(mapFile, 'utf8') : null };
    },
  };
}

function copyTypes() {
  return {
    name: 'copy-types',
    writeBundle() {
      const walk = (dir) => {
        for (const name of readdirSync(dir)) {
          const p = join(dir, name);
          if (statSync(p).isDirectory()) walk(p);
          else if (p.endsWith('.d.ts')) {
            const to = join('dist/types', relative(B, p));
            mkdirSync(dirname(to), { recursive: true });
            cpSync(p, to);
          }
        }
      };
      walk(B);
    },
  };
}

function clean() {
  let done = false;
  return {
    name: 'clean',
    buildStart() {
      if (!done) rmSync('dist', { recursive: true, force: true });
      done = true;
    },
  };
}

const define = {
  name: 'define-version',
  transform(code) {
    return code.includes('__LIFELINE_VERSION__') ? { code: code.replaceAll('__LIFELINE_VERSION__', pkg.version), map: null } : null;
  },
};

/** terser options of the IIFE; test/bench/size-lib.mjs minifies every measured package with the same ones. */
const minify = { ecma: 2020, compress: { passes: 3 }, format: { comments: false } };

export default [
  {
    input: { browser: `${B}/index.js` },
    plugins: [clean(), tscMaps(), define, nodeResolve({ browser: true })],
    output: [
      { dir: 'dist', format: 'es', entryFileNames: '[name].mjs', sourcemap: true },
      {
        dir: 'dist',
        entryFileNames: 'lifeline.min.js',
        format: 'iife',
        name: 'lifeline',
        sourcemap: true,
        plugins: [terser(minify)],
      },
    ],
  },
  {
    input: { node: `${B}/node.js`, protocol: `${B}/protocol/index.js`, server: `${B}/server.js`, cli: `${B}/cli/main.js` },
    external,
    plugins: [tscMaps(), define],
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].mjs',
      chunkFileNames: 'chunks/[name]-[hash].mjs',
      sourcemap: true,
      banner: (chunk) => (chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
    },
  },
  {
    input: { node: `${B}/node.js`, protocol: `${B}/protocol/index.js`, server: `${B}/server.js` },
    external,
    plugins: [tscMaps(), define, copyTypes()],
    output: {
      dir: 'dist',
      format: 'cjs',
      entryFileNames: '[name].cjs',
      chunkFileNames: 'chunks/[name]-[hash].cjs',
      sourcemap: true,
      exports: 'named',
    },
  },
];
