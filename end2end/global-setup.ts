import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';

// Starts ccmadmin on a fresh data dir, waits for it to listen, and records the one-time password
// that the first start prints, for the setup project (tests/auth.setup.ts) to log in with; that
// project saves the login the specs share. Returns the teardown.
export default async function globalSetup(config: FullConfig) {
  const root = path.resolve(__dirname, '..');
  const bin = process.env.CCMADMIN_BIN ?? path.join(root, 'target/debug/ccmadmin');
  const port = process.env.CCMADMIN_E2E_PORT ?? '18443';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ccmadmin-e2e-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CCMADMIN_BIND: `127.0.0.1:${port}`,
    CCMADMIN_DATA_DIR: dataDir,
    CCMADMIN_TFTP_BIND: '127.0.0.1:0',
    // Cisco CallManager's SIP ports, known to the specs: UDP on the HTTPS port + 13, TLS + 12
    // (the empty server of some specs takes + 2).
    CCMADMIN_SIP_BIND: `127.0.0.1:${Number(port) + 13}`,
    CCMADMIN_CTL_PROVIDER_BIND: '127.0.0.1:0',
    CCMADMIN_SIP_TLS_BIND: `127.0.0.1:${Number(port) + 12}`,
    // CAPF listens once a spec activates it; on a port the specs know (the HTTPS port + 11).
    CCMADMIN_CAPF_BIND: `127.0.0.1:${Number(port) + 11}`,
    CCMADMIN_SITE_ROOT: process.env.CCMADMIN_SITE_ROOT ?? path.join(root, 'target/site'),
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
  };
  delete env.CCMADMIN_BOOTSTRAP_PASSWORD;
  delete env.DATABASE_URL;
  if (process.env.CCMADMIN_E2E_DATABASE_URL) {
    env.DATABASE_URL = process.env.CCMADMIN_E2E_DATABASE_URL;
  }
  // A demo cluster to find and edit phones in (the same for the same count).
  const demo = spawnSync(bin, ['demo', '--phones', '300'], { env, encoding: 'utf8' });
  if (demo.status !== 0) throw new Error(`ccmadmin demo failed: ${demo.stderr}`);
  const server = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });

  let tftp = '';
  const password = await new Promise<string>((resolve, reject) => {
    let out = '';
    let found = '';
    const timer = setTimeout(() => reject(new Error(`ccmadmin did not start:\n${out}`)), 60_000);
    server.on('exit', (code) => reject(new Error(`ccmadmin exited with ${code}:\n${out}`)));
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const pw = /one-time password: (\S+)/.exec(out);
      if (pw) found = pw[1];
      const udp = /TFTP serving \S+ on udp (\S+)/.exec(out);
      if (udp) tftp = udp[1];
      if (found && /listening on https:\/\//.test(out)) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });

  const stateDir = path.join(__dirname, '.run');
  mkdirSync(stateDir, { recursive: true });
  // The login of an earlier run is no login on this server: the setup project saves a new one.
  rmSync(path.join(stateDir, 'admin.json'), { force: true });
  const capf = `127.0.0.1:${Number(port) + 11}`;
  const sipTls = `127.0.0.1:${Number(port) + 12}`;
  const sipUdp = `127.0.0.1:${Number(port) + 13}`;
  writeFileSync(path.join(stateDir, 'state.json'), JSON.stringify({ password, dataDir, tftp, capf, sipTls, sipUdp }));
  console.log(`ccmadmin started on port ${port} with data dir ${dataDir} (${env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`);

  return async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  };
}
