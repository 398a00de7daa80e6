// Two Bourg replicas on loopback against one PostgreSQL database, as behind a load balancer:
// `bourg serve --replica` twice (no file watching, nothing written to disk), then
//   - a member signs in on replica A and the session is known on replica B;
//   - a rating written through A is read back through B, updated through B with If-Match, and a
//     stale update through A is refused (412): concurrent edits are detected across replicas;
//   - the consolidation, and tiles, TileJSON, OGC items and campaign tiles are byte-identical
//     from both replicas;
//   - the prepared-catalogue cache folder the replicas read is unchanged at the end.
// Prints what it did with timings; exits non-zero on any difference.
//
// Usage: BOURG_TEST_POSTGRES=postgres://… node scripts/scale-out.mjs [--bin PATH] [--layers DIR]
// (`make scale-out` runs it on a throwaway cluster with the release build; `make test` with the
// debug build.)

import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createHash, randomBytes } from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = { bin: path.join(process.env.CARGO_TARGET_DIR ?? path.join(process.env.HOME, '.cache/bourg-target'), 'release/bourg'), layers: 'layers/demo' };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || process.argv[i + 1] === undefined) throw new Error(`unknown or incomplete option ${process.argv[i]}`);
  args[key] = process.argv[i + 1];
}
// The Communauté d'agglomération de Lens-Liévin, in the demo layers.
const TERRITORY = '246200364';
const LENS = { lon: 2.83, lat: 50.43 };

const base = process.env.BOURG_TEST_POSTGRES;
if (!base) {
  console.error('BOURG_TEST_POSTGRES is not set: run through scripts/postgres-test.sh run -- … (make scale-out does)');
  process.exit(2);
}
const psql = (url, sql) => execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8' });
const dbName = `bourg_scale_${process.pid}_${Date.now()}`;
psql(base, `CREATE DATABASE ${dbName}`);
const dbUrl = new URL(base);
dbUrl.pathname = `/${dbName}`;
// The prepared-catalogue cache the other runs wrote (a deployment ships it with the data): the
// replicas read it and must write nothing to it.
const cacheDir = process.env.BOURG_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME, '.cache'), 'bourg');
mkdirSync(cacheDir, { recursive: true });
const listing = () => readdirSync(cacheDir).sort().map((f) => {
  const s = statSync(path.join(cacheDir, f));
  return `${f} ${s.size} ${s.mtimeMs}`;
}).join('\n');
const before = listing();
const adminToken = randomBytes(24).toString('hex');

function fail(message) {
  throw new Error(message);
}

/** Starts one replica; resolves to { name, base, ms, stop }. */
async function replica(name) {
  const started = performance.now();
  const child = spawn(args.bin, ['serve', '--replica', '--addr', '127.0.0.1:0', '--layers', args.layers,
    '--database', dbUrl.toString(), '--admin-token', adminToken, '--cache-dir', cacheDir], {
    cwd: root,
    env: { ...process.env, BOURG_LOG: 'info', NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${log}`)), 180_000);
    child.stderr.on('data', (chunk) => {
      if (log.length < 1 << 20) log += chunk;
      const m = log.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${log}`)));
  });
  const ms = performance.now() - started;
  const stop = () => new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
  return { name, base: url, ms, stop, log: () => log };
}

async function call(r, method, url, { token, cookie, body, headers = {} } = {}) {
  const res = await fetch(r.base + url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(cookie ? { cookie } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
      'accept-encoding': 'identity',
      // As a load balancer forwards it: both replicas then write the same public URLs.
      'x-forwarded-host': 'carte.example.fr',
      'x-forwarded-proto': 'https',
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json = null;
  try { json = JSON.parse(bytes.toString('utf8')); } catch { /* not JSON */ }
  return { status: res.status, bytes, json, headers: res.headers };
}

async function expect(status, promise, what) {
  const res = await promise;
  if (res.status !== status) fail(`${what}: expected ${status}, got ${res.status} ${res.bytes.toString('utf8').slice(0, 400)}`);
  return res;
}

/** The tile of (lon, lat) at zoom z, as x/y. */
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return `${z}/${x}/${y}`;
}

const sha = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);

const replicas = [];
let ok = false;
try {
  // Started together, as a deployment would: the migrations take turns on an advisory lock.
  const [a, b] = await Promise.all([replica('A'), replica('B')]);
  replicas.push(a, b);
  console.log(`replica A on ${a.base} ready in ${(a.ms / 1000).toFixed(1)} s; replica B on ${b.base} in ${(b.ms / 1000).toFixed(1)} s (started together, one database)`);
  for (const r of [a, b]) {
    const h = (await expect(200, call(r, 'GET', '/health'), `health of ${r.name}`)).json;
    if (!h.database?.reachable || !h.database.url.startsWith('postgres')) fail(`replica ${r.name}: database ${JSON.stringify(h.database)}`);
  }

  // Organisations and members through A; the campaign through B.
  const orgs = [];
  for (const [n, kind] of [[1, 'bailleur'], [2, 'commune']]) {
    const org = (await expect(201, call(a, 'POST', '/admin/orgs', { token: adminToken, body: { name: `Partenaire ${n}`, kind } }), 'create an organisation')).json;
    const member = (await expect(201, call(a, 'POST', `/admin/orgs/${org.id}/members`, { token: adminToken, body: { name: `Membre ${n}` } }), 'create a member')).json;
    orgs.push({ org, member });
  }
  const campaign = (await expect(201, call(b, 'POST', '/api/campaigns', { token: adminToken, body: {
    name: 'Deux réplicas', territory: TERRITORY, partners: orgs.map((o) => o.org.id), status: 'open',
  } }), 'create the campaign on B')).json;
  const criteria = campaign.criteria.map((c) => c.id);
  const list = (await expect(200, call(a, 'GET', `/api/campaigns/${campaign.id}/residences`, { token: adminToken }), 'list the residences on A')).json;
  const rid = list.residences[0].id;

  // A session opened on A is known on B.
  const signIn = await expect(200, call(a, 'POST', '/api/session', { body: { token: orgs[0].member.token } }), 'sign in on A');
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
  if (!cookie.startsWith('bourg_session=')) fail(`no session cookie: ${signIn.headers.get('set-cookie')}`);
  const who = (await expect(200, call(b, 'GET', '/api/session', { cookie }), 'the session on B')).json;
  if (JSON.stringify(who).indexOf(orgs[0].member.name ?? 'Membre 1') < 0) fail(`B does not know the session: ${JSON.stringify(who)}`);
  console.log('a session opened on A is known on B');

  // A rating written through A, read back through B.
  const scores = Object.fromEntries(criteria.map((c, i) => [c, 1 + (i % 5)]));
  const t0 = performance.now();
  const put = await expect(201, call(a, 'PUT', `/api/campaigns/${campaign.id}/ratings/${rid}`, { cookie, body: { scores, comment: 'écrit sur A' } }), 'rate on A');
  const written = performance.now() - t0;
  const t1 = performance.now();
  const read = (await expect(200, call(b, 'GET', `/api/campaigns/${campaign.id}/residences/${rid}`, { cookie }), 'read on B')).json;
  const readMs = performance.now() - t1;
  const mine = read.mine ?? {};
  for (const c of criteria) {
    if (mine.scores?.[c] !== scores[c]) fail(`B reads ${c} = ${mine.scores?.[c]}, A wrote ${scores[c]}: ${JSON.stringify(read).slice(0, 600)}`);
  }
  if (mine.comment !== 'écrit sur A' || mine.revision !== 1) fail(`B reads ${JSON.stringify(mine)}`);
  console.log(`rating written through A (${written.toFixed(0)} ms, ETag ${put.headers.get('etag')}) read back through B (${readMs.toFixed(0)} ms): same scores and comment`);

  // Concurrent edits across replicas: B updates revision 1; A's update of revision 1 is stale.
  await expect(200, call(b, 'PUT', `/api/campaigns/${campaign.id}/ratings/${rid}`, { cookie, body: { scores, comment: 'mis à jour sur B' }, headers: { 'if-match': '"1"' } }), 'update on B');
  await expect(412, call(a, 'PUT', `/api/campaigns/${campaign.id}/ratings/${rid}`, { cookie, body: { scores, comment: 'périmé sur A' }, headers: { 'if-match': '"1"' } }), 'a stale update on A');
  console.log('an update through B, then a stale one through A: 412, not overwritten');

  // The same bytes from both replicas.
  const urls = ['/tiles/communes.json', '/tiles/communes,rpls.json', '/style.json',
    `/ogc/collections/communes/items?limit=20&bbox=2.7,50.35,2.95,50.5`,
    `/api/campaigns/${campaign.id}/residences`];
  for (let z = 0; z <= 12; z++) {
    for (const layers of ['communes', 'rpls', 'communes,rpls', 'epci,qpv,friches']) urls.push(`/tiles/${layers}/${tileOf(LENS.lon, LENS.lat, z)}.mvt`);
  }
  for (const z of [10, 12, 14]) urls.push(`/api/campaigns/${campaign.id}/tiles/${tileOf(LENS.lon, LENS.lat, z)}.mvt`);
  let bytes = 0;
  let tiles = 0;
  for (const url of urls) {
    const [ra, rb] = await Promise.all([call(a, 'GET', url, { cookie }), call(b, 'GET', url, { cookie })]);
    if (ra.status !== rb.status) fail(`${url}: ${ra.status} on A, ${rb.status} on B`);
    if (![200, 204].includes(ra.status)) fail(`${url}: ${ra.status} ${ra.bytes.toString('utf8').slice(0, 300)}`);
    if (!ra.bytes.equals(rb.bytes)) fail(`${url}: A and B differ (${sha(ra.bytes)} vs ${sha(rb.bytes)})`);
    if (ra.headers.get('etag') !== rb.headers.get('etag')) fail(`${url}: ETag ${ra.headers.get('etag')} on A, ${rb.headers.get('etag')} on B`);
    bytes += ra.bytes.length;
    if (url.endsWith('.mvt')) tiles += 1;
  }
  console.log(`${urls.length} URLs (${tiles} tiles, z0–z14 over Lens) identical from A and B, ETags included: ${(bytes / 1024).toFixed(0)} KiB each`);

  if (listing() !== before) fail(`the replicas wrote to their cache folder ${cacheDir}`);
  console.log(`nothing written to the prepared-catalogue cache the replicas read (${cacheDir})`);
  ok = true;
} catch (e) {
  console.error(`scale-out: ${e.message}`);
  for (const r of replicas) console.error(`--- replica ${r.name} log (end) ---\n${r.log().slice(-3000)}`);
} finally {
  await Promise.all(replicas.map((r) => r.stop()));
  try { psql(base, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } catch { /* the cluster is thrown away anyway */ }
}
process.exit(ok ? 0 : 1);
