// Bundles the tsc output in build/src into dist/ for the three kinds of users:
//   dist/browser.mjs      ESM for browsers and bundlers (native WebSocket; no
//                         node:*, no frame layer, no fflate)
//   dist/lifeline.min.js  minified IIFE for <script>, global `lifeline`
//   dist/node.cjs         Node entry (own transport over net/tls), CommonJS
//   dist/protocol.cjs     `lifeline-ws/protocol`, the sans-I/O core, CommonJS
//   dist/server.cjs       `lifeline-ws/server`, reliable sessions for servers, CommonJS
//   dist/cli.cjs          the `lifeline` command
//   dist/chunks/*.cjs     code shared by those four
//   dist/node.mjs, dist/protocol.mjs, dist/server.mjs, dist/cli.mjs
//                         ESM wrappers that re-export (or run) the CommonJS
//                         files: one copy of every class in the process, so
//                         `instanceof` holds for a user who mixes require()
//                         and import (no dual-package hazard)
//   dist/types/           the .d.ts files the entries' declarations reach
//                         (emitted by tsc; internals and the CLI left out)
//   dist/serve.mjs|.cjs   the test server behind `lifeline serve` (the demo runs on it; not a package export)
// `npm run build` runs tsc first; this file only bundles. Source maps chain
// back to src/*.ts through tsc's maps, which carry the sources (tsconfig
// inlineSources), so the published maps are readable without src/.
import { readFileSync, writeFileSync, existsSync, rmSync, cpSync, mkdirSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
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

/** The declaration files of the public entries; dist/types gets these and what they import, nothing else. */
const TYPE_ENTRIES = ['index.d.ts', 'node.d.ts', 'protocol/index.d.ts', 'server.d.ts'];

/** Relative module specifiers of a .d.ts file (`from '...'`, `import('...')`, `import '...'`), as .d.ts paths. */
function declarationImports(file) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const target = resolve(dirname(file), m[1]).replace(/\.js$/, '.d.ts');
    if (!existsSync(target)) throw new Error(`${relative(B, file)} imports ${m[1]}, which has no declaration file`);
    out.push(target);
  }
  return out;
}

/** Copies the entries' declarations and everything they import (a walk of the import graph) to dist/types. */
function copyTypes() {
  return {
    name: 'copy-types',
    writeBundle() {
      const seen = new Set();
      const queue = TYPE_ENTRIES.map((f) => resolve(B, f));
      while (queue.length > 0) {
        const file = queue.pop();
        if (seen.has(file)) continue;
        seen.add(file);
        queue.push(...declarationImports(file));
      }
      for (const file of seen) {
        const to = join('dist/types', relative(B, file));
        mkdirSync(dirname(to), { recursive: true });
        cpSync(file, to);
      }
    },
  };
}

/**
 * Writes the ESM faces of the CommonJS build: dist/node.mjs and
 * dist/protocol.mjs re-export the names rollup reports for each CommonJS
 * entry (Node finds them in the `exports.name = ...` lines rollup writes),
 * and dist/cli.mjs runs dist/cli.cjs.
 */
function esmWrappers() {
  return {
    name: 'esm-wrappers',
    writeBundle(options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk' || !chunk.isEntry) continue;
        const cjs = chunk.fileName;
        const mjs = join(options.dir, cjs.replace(/\.cjs$/, '.mjs'));
        const header = `// ESM entry: re-exports ${cjs} (CommonJS), so require() and import share one copy of every class.\n`;
        if (chunk.name === 'cli') {
          writeFileSync(mjs, `#!/usr/bin/env node\n// The \`lifeline\` command: runs ${cjs}, which shares its chunks with the library.\nimport './${cjs}';\n`);
        } else {
          writeFileSync(mjs, `${header}export { ${[...chunk.exports].sort().join(', ')} } from './${cjs}';\n`);
        }
      }
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
    input: { node: `${B}/node.js`, protocol: `${B}/protocol/index.js`, server: `${B}/server.js`, cli: `${B}/cli/main.js`, serve: `${B}/server/index.js` },
    external,
    plugins: [tscMaps(), define, copyTypes(), esmWrappers()],
    output: {
      dir: 'dist',
      format: 'cjs',
      entryFileNames: '[name].cjs',
      chunkFileNames: 'chunks/[name]-[hash].cjs',
      sourcemap: true,
      exports: 'named',
      banner: (chunk) => (chunk.name === 'cli' ? '#!/usr/bin/env node' : ''),
    },
  },
];
