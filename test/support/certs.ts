/**
 * Test certificates made at test time with the `openssl` CLI: a CA, a server
 * certificate for `localhost` / 127.0.0.1 signed by it, a self-signed
 * server certificate, and on request more server certificates signed by the
 * CA for chosen names (a host name only, an IP only, a wrong name). Nothing
 * is checked in. Node-only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  ca: string;
  /** Signed by `ca`, SAN localhost, 127.0.0.1 and `sni.test`. */
  key: string;
  cert: string;
  /** Self-signed (no CA), SAN localhost, 127.0.0.1. */
  selfKey: string;
  selfCert: string;
  /** The certificates asked for by `makeCerts(names)`, signed by `ca`, by the same keys. */
  named: Record<string, { key: string; cert: string }>;
}

/**
 * `names` maps a label to a subjectAltName value (e.g. `{ ipOnly:
 * 'IP:127.0.0.1' }`): each gets a certificate signed by the CA, in `named`.
 */
export function makeCerts(names: Record<string, string> = {}): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-certs-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  try {
    writeFileSync(f('san.cnf'), 'subjectAltName=DNS:localhost,DNS:sni.test,IP:127.0.0.1\n');
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=lifeline test CA');
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=localhost');
    ssl('x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('srv.pem'), '-days', '2', '-extfile', f('san.cnf'));
    ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('self.key'), '-out', f('self.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    const r = (n: string) => readFileSync(f(n), 'utf8');
    const named: TestCerts['named'] = {};
    // A subject that is no host name: checkServerIdentity falls back to the CN when a certificate has no DNS name.
    if (Object.keys(names).length > 0) ssl('req', '-new', '-key', f('srv.key'), '-out', f('named.csr'), '-subj', '/CN=lifeline named test server');
    Object.entries(names).forEach(([label, san], i) => {
      writeFileSync(f(`n${i}.cnf`), `subjectAltName=${san}\n`);
      ssl('x509', '-req', '-in', f('named.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`n${i}.pem`), '-days', '2', '-extfile', f(`n${i}.cnf`));
      named[label] = { key: r('srv.key'), cert: r(`n${i}.pem`) };
    });
    return { ca: r('ca.pem'), key: r('srv.key'), cert: r('srv.pem'), selfKey: r('self.key'), selfCert: r('self.pem'), named };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
