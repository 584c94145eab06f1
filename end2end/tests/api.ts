import { expect, request, type APIRequestContext, type APIResponse } from '@playwright/test';
import { ADMIN_STATE, BASE_URL } from './state';

// The console's own JSON API (/api/v1), for what a spec needs set up, restored or read. Nothing
// here touches the store behind the console's back.

/** A script's non-GET requests carry the session cookie, so they say where they come from, as
 * the console's own pages do (a cookie without it is refused). */
export const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

/**
 * A client on the admin login the setup project saved. It does not log in itself: a login from a
 * context that carries the shared cookie would give that session a new id. Dispose of it.
 */
export async function adminApi(): Promise<APIRequestContext> {
  return request.newContext({
    baseURL: BASE_URL,
    ignoreHTTPSErrors: true,
    storageState: ADMIN_STATE,
    extraHTTPHeaders: SAME_ORIGIN,
  });
}

/** The body of a response that must have `status`. */
export async function body(res: APIResponse | Promise<APIResponse>, status = 200): Promise<any> {
  const r = await res;
  const text = await r.text();
  expect(r.status(), `${r.url()}: ${text}`).toBe(status);
  return text ? JSON.parse(text) : undefined;
}

/** Creates a user. */
export async function newUser(api: APIRequestContext, name: string, password: string, groups: string[]) {
  const res = await api.post('/api/v1/users', { data: { name, password, groups } });
  expect(res.status(), await res.text()).toBe(201);
}

/** The servers of the cluster, by name, with their role. */
export async function servers(api: APIRequestContext): Promise<{ name: string; role: string }[]> {
  const list = await body(api.get('/api/v1/servers'));
  return list.map((s: { fields: { name: string; role: string } }) => ({ name: s.fields.name, role: s.fields.role }));
}

/** The publisher's name. */
export async function publisher(api: APIRequestContext): Promise<string> {
  const pub = (await servers(api)).find((s) => s.role === 'Publisher');
  expect(pub, 'a publisher').toBeTruthy();
  return pub!.name;
}

/** The service keys of the URLs, by the names the API's bodies give. */
const SERVICE_KEYS: Record<string, string> = {
  CallManager: 'callmanager',
  Tftp: 'tftp',
  CtlProvider: 'ctl-provider',
  Capf: 'capf',
};

/** Whether `service` (a body name, e.g. `CtlProvider`) is activated, per server. */
export async function activations(api: APIRequestContext, service: string): Promise<Map<string, boolean>> {
  const list: { server: string; service: string; activated: boolean }[] = await body(api.get('/api/v1/services'));
  return new Map(list.filter((a) => a.service === service).map((a) => [a.server, a.activated]));
}

/** Service Activation of `service` (a body name) on `server`. */
export async function setActivation(api: APIRequestContext, server: string, service: string, activated: boolean) {
  await body(api.put(`/api/v1/servers/${server}/services/${SERVICE_KEYS[service]}`, { data: { activated } }));
}

/** Puts Service Activation of `service` back as `snapshot` (from [`activations`]) has it. */
export async function restoreActivations(api: APIRequestContext, service: string, snapshot: Map<string, boolean>) {
  const now = await activations(api, service);
  for (const [server, activated] of snapshot) {
    if (now.get(server) !== activated) await setActivation(api, server, service, activated);
  }
}

/** The cluster security mode per Security > CTL: `Mixed` or `NonSecure`. */
export async function clusterMode(api: APIRequestContext): Promise<string> {
  return (await body(api.get('/api/v1/ctl'))).mode;
}

/**
 * Runs the CTL operation (Security > CTL) for `mode`, as an administrator would: Cisco CTL
 * Provider activated and started on every server first (R18); afterwards the activations are put
 * back as they were.
 */
export async function runCtl(api: APIRequestContext, mode: 'Mixed' | 'NonSecure') {
  const before = await activations(api, 'CtlProvider');
  try {
    for (const [server, activated] of before) {
      if (!activated) await setActivation(api, server, 'CtlProvider', true);
    }
    await expect
      .poll(async () => (await body(api.get('/api/v1/ctl'))).ctl_provider_missing, { timeout: 30_000 })
      .toEqual([]);
    const result = await body(api.post('/api/v1/ctl', { data: { mode, tokens: ['SAST1', 'SAST2'] } }));
    expect(result.status.mode).toBe(mode);
  } finally {
    await restoreActivations(api, 'CtlProvider', before);
  }
}

/** Every enterprise parameter's value, by name. */
export async function enterpriseParameters(api: APIRequestContext): Promise<Map<string, string>> {
  const list: { name: string; value: string }[] = await body(api.get('/api/v1/enterprise-parameters'));
  return new Map(list.map((p) => [p.name, p.value]));
}

/** Puts the enterprise parameters back as `snapshot` has them (the cluster security mode is the
 * CTL operation's: see [`runCtl`]). */
export async function restoreEnterpriseParameters(api: APIRequestContext, snapshot: Map<string, string>) {
  const now = await enterpriseParameters(api);
  for (const [name, value] of snapshot) {
    if (name === 'ClusterSecurityMode' || now.get(name) === value) continue;
    await body(api.put(`/api/v1/enterprise-parameters/${name}`, { data: { value } }));
  }
}

/** The service parameters of `service` (URL key) on `server`: value by name. */
export async function serviceParameters(api: APIRequestContext, server: string, service: string): Promise<Map<string, string>> {
  const got = await body(api.get(`/api/v1/service-parameters?server=${server}&service=${service}`));
  return new Map(
    got.parameters.map((p: { parameter: { name: string; value: string } }) => [p.parameter.name, p.parameter.value]),
  );
}

/** Puts the service parameters of `service` on `server` back as `snapshot` has them. */
export async function restoreServiceParameters(
  api: APIRequestContext,
  server: string,
  service: string,
  snapshot: Map<string, string>,
) {
  const now = await serviceParameters(api, server, service);
  for (const [name, value] of snapshot) {
    if (now.get(name) === value) continue;
    await body(api.put(`/api/v1/service-parameters/${server}/${service}/${name}`, { data: { value } }));
  }
}

/** A phone's fields, to put back later with [`restorePhone`]. */
export async function phoneFields(api: APIRequestContext, name: string): Promise<Record<string, unknown>> {
  return (await body(api.get(`/api/v1/phones/${name}`))).fields;
}

/** Puts a phone's fields back as `fields` (from [`phoneFields`]) has them. */
export async function restorePhone(api: APIRequestContext, name: string, fields: Record<string, unknown>) {
  const now = await body(api.get(`/api/v1/phones/${name}`));
  if (JSON.stringify(now.fields) === JSON.stringify(fields)) return;
  await body(api.put(`/api/v1/phones/${name}`, { data: { ...fields, version: now.version } }));
}

/** Waits until the job `id` (reset, restart or bulk change) has ended; returns it. */
export async function jobEnded(api: APIRequestContext, id: number, timeout = 60_000): Promise<any> {
  let job: any;
  await expect
    .poll(
      async () => {
        job = await body(api.get(`/api/v1/jobs/${id}`));
        return String(job.status).toLowerCase();
      },
      { timeout, message: `job ${id} ends` },
    )
    .toMatch(/^(done|cancelled|failed)$/);
  return job;
}

/** The state of every service on every server (Control Center). */
async function controlCenter(api: APIRequestContext): Promise<{ server: string; service: string; state: string }[]> {
  return body(api.get('/api/v1/control-center'));
}

/** Waits until no service of Control Center is still starting. */
export async function servicesSettled(api: APIRequestContext) {
  await expect
    .poll(async () => (await controlCenter(api)).filter((s) => s.state === 'Starting').map((s) => `${s.server}/${s.service}`), {
      timeout: 30_000,
    })
    .toEqual([]);
}

/** Restarts `service` (a body name) on `server` in Control Center, or starts it when stopped. */
async function restart(api: APIRequestContext, server: string, service: string, state: string) {
  const op = state === 'Stopped' ? 'start' : 'restart';
  await body(api.post(`/api/v1/servers/${server}/services/${SERVICE_KEYS[service]}/${op}`, { data: {} }));
}

/**
 * Does what the pending actions ask, through the console, until none is pending (R10): the
 * restarts in Control Center (a service not activated where a restart is pending is activated for
 * the restart and deactivated again), then one reset job of every device, unthrottled.
 */
export async function settlePendingActions(api: APIRequestContext) {
  const pending: { what: any }[] = await body(api.get('/api/v1/pending-actions'));
  if (pending.length === 0) return;
  let resets = false;
  const restarts: { server: string | null; service: string }[] = [];
  for (const { what } of pending) {
    const action = what.Action;
    if (what.ResetDevices || ['ResetAllDevices', 'ResetSystemDefaultDevices'].includes(action)) {
      resets = true;
    } else if (action && typeof action === 'object' && (action.ResetDevice || action.ResetSrstDependents)) {
      resets = true;
    } else if (action && typeof action === 'object' && action.RestartService) {
      restarts.push(action.RestartService);
    } else {
      throw new Error(`no console operation here does the pending action ${JSON.stringify(what)}`);
    }
  }
  for (const { server, service } of restarts) {
    const states = (await controlCenter(api)).filter((s) => s.service === service);
    for (const s of states) {
      if (server !== null && s.server !== server) continue;
      if (s.state === 'NotActivated') {
        if (server === null) continue;
        await setActivation(api, s.server, service, true);
        const state = (await controlCenter(api)).find((x) => x.server === s.server && x.service === service)!.state;
        await restart(api, s.server, service, state);
        await setActivation(api, s.server, service, false);
      } else {
        await restart(api, s.server, service, s.state);
      }
    }
  }
  await servicesSettled(api);
  if (resets) {
    const job = await body(api.post('/api/v1/phones/reset', { data: { filter: {}, type: 'reset', rate: 0 } }), 202);
    const ended = await jobEnded(api, job.id, 120_000);
    expect(String(ended.status).toLowerCase()).toBe('done');
  }
  await expect
    .poll(async () => (await body(api.get('/api/v1/pending-actions'))).map((g: { what: unknown }) => JSON.stringify(g.what)), {
      timeout: 30_000,
    })
    .toEqual([]);
}
