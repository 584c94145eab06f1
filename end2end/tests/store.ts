import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { runState } from './state';

/**
 * Runs one SQL statement against the console's store — the SQLite file in the data dir, or the
 * PostgreSQL database of the run — and returns its output rows (tab-separated).
 */
export function storeQuery(sql: string): string[] {
  const pg = process.env.CCMADMIN_E2E_DATABASE_URL;
  const out = pg
    ? execFileSync('psql', [pg, '-tAqX', '-F', '\t', '-c', sql], { encoding: 'utf8' })
    : execFileSync(
        'sqlite3',
        ['-cmd', '.timeout 5000', '-separator', '\t', path.join(runState().dataDir, 'ccmadmin.db'), sql],
        { encoding: 'utf8' },
      );
  return out.split('\n').filter((line) => line.length > 0);
}

/** Sets the cluster security mode behind the console's back (the CTL operation's job). */
export function setClusterMode(mode: 'mixed' | 'non_secure') {
  storeQuery(`UPDATE cluster SET security_mode = '${mode}'`);
}

/** How long the console serves its copy of the reference data (`service::reference::TTL`). */
export const REFERENCE_TTL_MS = 2_000;
