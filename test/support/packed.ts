/**
 * The packed tarball (`npm pack`) installed into a scratch consumer project,
 * for the package tests (test/package). `npm test` packs and installs once
 * and passes the folder in LIFELINE_PACKED_DIR (test/run.mjs, package stage);
 * a package test file run on its own packs and installs here, once per process.
 *
 * Besides lifeline-ws (a real install from the tarball, with its
 * dependencies), the consumer's node_modules links the repository's copies
 * of the libraries the consumer tests use (graphql-ws, partysocket,
 * @supabase/realtime-js, ws, @types/node): they resolve their own
 * dependencies from the repository. Node-only.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from build/test/support/). */
export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Packages of the repository's node_modules that consumer tests import next to lifeline-ws. */
const LINKED = ['graphql-ws', 'graphql', 'partysocket', '@supabase/realtime-js', 'ws', '@types/node'];

export interface Packed {
  /** The consumer project: package.json, node_modules/lifeline-ws, the links. */
  dir: string;
  /** The .tgz that was installed. */
  tarball: string;
}

/** Packs the repository and installs the tarball into a new folder under the system temp dir. */
export function packAndInstall(): Packed {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-pkg-'));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
  const tarball = join(dir, out.trim().split('\n').pop()!);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir, stdio: 'pipe' });
  // After the install: npm would prune links it did not make.
  for (const name of LINKED) {
    const target = join(root, 'node_modules', name);
    const link = join(dir, 'node_modules', name);
    if (!existsSync(target) || existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
  return { dir, tarball };
}

let mine: Packed | undefined;

/** The consumer project of this run: run.mjs's (LIFELINE_PACKED_DIR), or one made here and removed at exit. */
export function packedConsumer(): Packed {
  const given = process.env['LIFELINE_PACKED_DIR'];
  if (given) {
    const tgz = readdirSync(given).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`LIFELINE_PACKED_DIR=${given} holds no .tgz`);
    return { dir: given, tarball: join(given, tgz) };
  }
  if (!mine) {
    const packed = packAndInstall();
    mine = packed;
    process.once('exit', () => rmSync(packed.dir, { recursive: true, force: true }));
  }
  return mine;
}
