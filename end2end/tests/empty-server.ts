import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The port of the second, empty server (the one of global setup has demo data). */
export const EMPTY_PORT = process.env.CCMADMIN_E2E_EMPTY_PORT ?? '18445';

/** Its address. */
export const EMPTY_URL = `https://127.0.0.1:${EMPTY_PORT}`;

/** A running ccmadmin on a fresh install: no demo data, only what the first start creates. */
export interface EmptyServer {
  /** The one-time password of CCMAdministrator that the first start printed. */
  password: string;
  /** Its data dir. */
  dataDir: string;
  /** Stops it and waits until it has exited. */
  stop(): Promise<void>;
}

/** The ccmadmin binary the tests run. */
export function binary(): string {
  const root = path.resolve(__dirname, '..', '..');
  return process.env.CCMADMIN_BIN ?? path.join(root, 'target/debug/ccmadmin');
}

/** The store of the second server: CCMADMIN_E2E_EMPTY_DATABASE_URL when set, else SQLite in its
 * data dir. */
export function emptyEnv(dataDir: string, databaseUrl = process.env.CCMADMIN_E2E_EMPTY_DATABASE_URL): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CCMADMIN_DATA_DIR: dataDir, RUST_LOG: process.env.RUST_LOG ?? 'warn' };
  delete env.CCMADMIN_BOOTSTRAP_PASSWORD;
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return env;
}

/**
 * Starts `ccmadmin serve` on a fresh data dir (and on `databaseUrl`, or
 * CCMADMIN_E2E_EMPTY_DATABASE_URL when set, else on SQLite in the data dir) the way global setup
 * does, and waits until it listens. Given `reuse`, it starts again on that data dir, whose store
 * has its users already (no one-time password is printed then: `password` is empty).
 */
export async function startEmptyServer(reuse?: string, databaseUrl?: string): Promise<EmptyServer> {
  const root = path.resolve(__dirname, '..', '..');
  const bin = binary();
  const dataDir = reuse ?? mkdtempSync(path.join(tmpdir(), 'ccmadmin-e2e-empty-'));
  const env: NodeJS.ProcessEnv = {
    ...emptyEnv(dataDir, databaseUrl ?? process.env.CCMADMIN_E2E_EMPTY_DATABASE_URL),
    CCMADMIN_BIND: `127.0.0.1:${EMPTY_PORT}`,
    CCMADMIN_TFTP_BIND: '127.0.0.1:0',
    CCMADMIN_SIP_BIND: '127.0.0.1:0',
    CCMADMIN_CTL_PROVIDER_BIND: '127.0.0.1:0',
    CCMADMIN_SIP_TLS_BIND: '127.0.0.1:0',
    CCMADMIN_CAPF_BIND: '127.0.0.1:0',
    CCMADMIN_SITE_ROOT: process.env.CCMADMIN_SITE_ROOT ?? path.join(root, 'target/site'),
  };
  const server: ChildProcess = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));

  let password = '';
  try {
    password = await new Promise<string>((resolve, reject) => {
      let out = '';
      let found = '';
      const timer = setTimeout(() => reject(new Error(`ccmadmin (empty) did not start:\n${out}`)), 60_000);
      server.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`ccmadmin (empty) exited with ${code}:\n${out}`));
      });
      server.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const pw = /one-time password: (\S+)/.exec(out);
        if (pw) found = pw[1];
        if ((found || reuse) && /listening on https:\/\//.test(out)) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
  } catch (error) {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
    throw error;
  }
  // Keep reading its output so that a full pipe never blocks it.
  server.stdout!.resume();
  console.log(`second ccmadmin started on port ${EMPTY_PORT} with data dir ${dataDir} (${env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`);

  return {
    password,
    dataDir,
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGTERM');
        await exited;
      }
    },
  };
}
