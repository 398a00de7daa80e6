// Concurrent rating writes on the qualification API, timed, then checked against the database read
// with its own client. `make bench-ratings` (release build, 10 organisations × 5 members × 200
// writes) and `make check-ratings` (debug build, 5 × 2 × 20, part of `make test`).
//
//   node benches/ratings.mjs [--bin PATH] [--orgs 10] [--members 5] [--writes 200] [--update-every 5]
//
// For each database — a temporary SQLite file, then PostgreSQL when BOURG_TEST_POSTGRES is set (a
// fresh database created with psql; CI_REQUIRE_POSTGRES=1 fails instead of skipping it) — it starts
// `bourg serve` on the demo layers, creates the organisations and their members through the admin
// routes and an open campaign on the CA de Lens-Liévin (246200364) with every organisation as a
// partner. Then every member rates at once, one request after the other: new residences (201),
// and every `update-every`-th write an update of one of its own earlier ratings with its revision
// (200; `If-Match`, or `revision` in the body every other time). The members of one organisation
// share out its residences; the organisations' sets overlap, so a residence gets one rating from
// each of one to several partners. Printed: the latency of every write (p50, p95, p99, max, from the request to
// the end of the answer, with Node's own fetch) and the throughput over the burst.
//
// Then, independently of Bourg: the ratings table read with `sqlite3` / `psql` holds every
// acknowledged rating exactly once, with the last scores, comment and revision written; and the
// consolidation served by GET /api/campaigns/{id}/residences equals a recomputation from those
// rows: per criterion the mean over the partners who scored it (one write in four leaves a
// criterion out), the overall mean of the (unrounded) criterion means, spread the largest
// (max − min) over the partners on one criterion (none before two partners scored one),
// `desaccord` from a spread of 2, means rounded to 0.1. Exits 1 on any difference or unexpected answer.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2), {
  bin: path.join(process.env.CARGO_TARGET_DIR ?? path.join(process.env.HOME, '.cache/bourg-target'), 'release/bourg'),
  orgs: 10, members: 5, writes: 200, 'update-every': 5,
});
const TERRITORY = '246200364';
const KINDS = ['bailleur', 'commune', 'epci', 'etat', 'association'];

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in defaults) || argv[i + 1] === undefined) throw new Error(`unknown or incomplete option ${argv[i]}`);
    out[key] = typeof defaults[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return out;
}

/** A small deterministic generator (mulberry32), one per member, so a run is reproducible. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(list, rand) {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// --- the databases -----------------------------------------------------------------------------

/** A temporary SQLite file, read back with the sqlite3 command-line tool. */
function sqliteDatabase() {
  const dir = mkdtempSync(path.join(tmpdir(), 'bourg-ratings-'));
  const file = path.join(dir, 'bench.sqlite3');
  return {
    name: 'sqlite',
    url: `sqlite:${file}`,
    query: (sql) => {
      const out = execFileSync('sqlite3', ['-json', file, sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
      return out.trim() === '' ? [] : JSON.parse(out);
    },
    drop: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh database on the server BOURG_TEST_POSTGRES names, read back with psql. */
function postgresDatabase(base) {
  const name = `bourg_ratings_${process.pid}_${Date.now()}`;
  const psql = (url, sql) => execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', url, '-c', sql], { encoding: 'utf8', maxBuffer: 1 << 30 });
  psql(base, `CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    url: url.toString(),
    query: (sql) => JSON.parse(psql(url.toString(), `SELECT coalesce(json_agg(q), '[]') FROM (${sql}) q`)),
    drop: () => psql(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

// --- the server --------------------------------------------------------------------------------

/** Starts `bourg serve` on the demo layers; resolves to { base, stop }. */
async function startServer(database, adminToken) {
  const server = spawn(args.bin, ['serve', '--no-cache', '--addr', '127.0.0.1:0', '--layers', 'layers/demo',
    '--database', database.url, '--admin-token', adminToken], {
    cwd: root,
    // Long CPU line and deadlines: a busy machine slows the writes down, it must not refuse them.
    env: { ...process.env, BOURG_LOG: 'info', NO_COLOR: '1', BOURG_CPU_QUEUE: '100000', BOURG_CPU_WAIT_SECS: '600', BOURG_REQUEST_TIMEOUT_SECS: '900' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${log}`)), 120_000);
    server.stderr.on('data', (chunk) => {
      if (log.length < 1 << 20) log += chunk;
      const m = log.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}:\n${log}`)));
  });
  const stop = () => new Promise((resolve) => {
    server.removeAllListeners('exit');
    server.on('exit', resolve);
    server.kill('SIGTERM');
  });
  return { base, stop };
}

async function call(base, method, url, token, body, headers = {}) {
  const res = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON: kept as text */ }
  return { status: res.status, json, text, etag: res.headers.get('etag') };
}

async function expect(status, promise, what) {
  const res = await promise;
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 500)}`);
  return res.json;
}

// --- one run -----------------------------------------------------------------------------------

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(database) {
  const adminToken = randomBytes(24).toString('hex');
  const { base, stop } = await startServer(database, adminToken);
  try {
    const orgs = [];
    for (let o = 0; o < args.orgs; o++) {
      const org = await expect(201, call(base, 'POST', '/admin/orgs', adminToken, { name: `Partenaire ${o + 1}`, kind: KINDS[o % KINDS.length] }), 'create an organisation');
      const members = [];
      for (let m = 0; m < args.members; m++) {
        members.push(await expect(201, call(base, 'POST', `/admin/orgs/${org.id}/members`, adminToken, { name: `Membre ${o + 1}.${m + 1}` }), 'create a member'));
      }
      orgs.push({ ...org, members });
    }
    const campaign = await expect(201, call(base, 'POST', '/api/campaigns', adminToken, {
      name: 'Banc d\'essai', territory: TERRITORY, partners: orgs.map((o) => o.id), status: 'open',
    }), 'create the campaign');
    const criteria = campaign.criteria.map((c) => c.id);
    const listing = await expect(200, call(base, 'GET', `/api/campaigns/${campaign.id}/residences`, adminToken), 'list the residences');
    const updates = Math.floor(args.writes / args['update-every']);
    const creates = args.writes - updates;
    // Organisation o rates the window of members × creates residences starting at o × shift: the
    // windows overlap, so residences get from one partner (no spread) to several.
    const shift = Math.max(1, Math.floor(creates / 2));
    const window = creates * args.members;
    const needed = shift * (args.orgs - 1) + window;
    if (listing.residences.length < needed) throw new Error(`${listing.residences.length} residences in ${TERRITORY}, ${needed} needed`);
    const residences = shuffle(listing.residences.map((r) => r.id), random(1)).slice(0, needed);

    // What each rating should end as: key `${org}|${residence}` → { scores, comment, revision }.
    const expected = new Map();
    const latencies = [];
    const failures = [];
    let acknowledged = 0;
    const rater = async (org, o, member, m) => {
      const rand = random(1000 * o + m + 7);
      // The member's share of its organisation's window, paired differently in each organisation.
      const block = (m + o) % args.members;
      const start = o * shift + block * creates;
      const mine = shuffle(residences.slice(start, start + creates), rand);
      const done = [];
      let next = 0;
      for (let k = 0; k < args.writes; k++) {
        const update = k % args['update-every'] === args['update-every'] - 1 && done.length > 0;
        const rid = update ? done[Math.floor(rand() * done.length)] : mine[next++];
        const key = `${org.id}|${rid}`;
        // The whole grid, or one write in four leaving a criterion out (a partner may not know).
        const skip = rand() < 0.25 ? criteria[Math.floor(rand() * criteria.length)] : null;
        const scores = Object.fromEntries(criteria.filter((c) => c !== skip).map((c) => [c, 1 + Math.floor(rand() * 5)]));
        const comment = `membre ${member.member}, écriture ${k}`;
        const body = { scores, comment };
        const headers = {};
        let want = 201;
        if (update) {
          const revision = expected.get(key).revision;
          if (k % 2 === 0) headers['if-match'] = `"${revision}"`;
          else body.revision = revision;
          want = 200;
        }
        const started = performance.now();
        let res;
        try {
          res = await call(base, 'PUT', `/api/campaigns/${campaign.id}/ratings/${rid}`, member.token, body, headers);
        } catch (e) {
          failures.push(`PUT ${rid} by member ${member.member}: ${e.message}`);
          continue;
        }
        latencies.push(performance.now() - started);
        const revision = update ? expected.get(key).revision + 1 : 1;
        if (res.status !== want || res.json?.revision !== revision || res.etag !== `"${revision}"`) {
          failures.push(`PUT ${rid} by member ${member.member}: ${res.status} ETag ${res.etag} ${res.text.slice(0, 300)} (expected ${want}, revision ${revision})`);
          continue;
        }
        expected.set(key, { scores, comment, revision });
        acknowledged += 1;
        if (!update) done.push(rid);
      }
    };
    const started = performance.now();
    await Promise.all(orgs.flatMap((org, o) => org.members.map((member, m) => rater(org, o, member, m))));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const figures = {
      writes: latencies.length,
      failures: failures.length,
      p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1],
      throughput: latencies.length / seconds,
      seconds,
    };
    for (const f of failures.slice(0, 10)) console.error(`  ${database.name}: ${f}`);
    const f = figures;
    console.log(`${database.name.padEnd(10)} ${String(f.writes).padStart(8)} ${String(f.failures).padStart(7)} ${[f.p50, f.p95, f.p99, f.max].map((x) => x.toFixed(1).padStart(8)).join(' ')} ${f.throughput.toFixed(0).padStart(9)}`);

    const stored = checkStored(database, campaign.id, expected, acknowledged);
    const after = await expect(200, call(base, 'GET', `/api/campaigns/${campaign.id}/residences`, adminToken), 'list the residences');
    const consolidation = checkConsolidation(database, campaign.id, criteria, after.residences);
    const rated = after.residences.filter((r) => r.partners > 0).length;
    return { figures, stored, consolidation, ratings: expected.size, residences: after.residences.length, rated };
  } finally {
    await stop();
  }
}

// --- the independent checks --------------------------------------------------------------------

/** The campaign's ratings as stored, read with the database's own client. */
function storedRows(database, campaignId) {
  return database.query(`SELECT residence_id, org_id, scores, comment, revision FROM ratings WHERE campaign_id = ${Number(campaignId)}`)
    .map((r) => ({ ...r, org_id: Number(r.org_id), revision: Number(r.revision), scores: typeof r.scores === 'string' ? JSON.parse(r.scores) : r.scores }));
}

function sameScores(a, b) {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && Number(a[k]) === Number(b[k]));
}

function checkStored(database, campaignId, expected, writes) {
  const problems = [];
  const seen = new Map();
  for (const row of storedRows(database, campaignId)) {
    const key = `${row.org_id}|${row.residence_id}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const want = expected.get(key);
    if (!want) problems.push(`a row nobody acknowledged: ${key}`);
    else if (!sameScores(row.scores, want.scores) || row.comment !== want.comment || row.revision !== want.revision) {
      problems.push(`${key}: stored ${JSON.stringify([row.scores, row.comment, row.revision])}, acknowledged ${JSON.stringify([want.scores, want.comment, want.revision])}`);
    }
  }
  for (const [key, n] of seen) if (n > 1) problems.push(`${key} stored ${n} times`);
  for (const key of expected.keys()) if (!seen.has(key)) problems.push(`${key} acknowledged, not stored`);
  // Every acknowledged write is one revision: 1, 2, … up to the rating's, the last one its scores.
  const revisions = database.query(`SELECT residence_id, org_id, revision, scores FROM rating_revisions WHERE campaign_id = ${Number(campaignId)}`);
  if (revisions.length !== writes) problems.push(`${revisions.length} rows in rating_revisions for ${writes} acknowledged writes`);
  const byKey = new Map();
  for (const r of revisions) {
    const key = `${Number(r.org_id)}|${r.residence_id}`;
    if (!byKey.has(key)) byKey.set(key, new Map());
    byKey.get(key).set(Number(r.revision), typeof r.scores === 'string' ? JSON.parse(r.scores) : r.scores);
  }
  for (const [key, want] of expected) {
    const got = byKey.get(key) ?? new Map();
    const numbers = [...got.keys()].sort((a, b) => a - b);
    if (numbers.join() !== Array.from({ length: want.revision }, (_, i) => i + 1).join()) problems.push(`${key}: revisions ${numbers} for revision ${want.revision}`);
    else if (!sameScores(got.get(want.revision), want.scores)) problems.push(`${key}: the last revision's scores differ from the rating's`);
  }
  return problems;
}

/** Whether `served` is `exact` rounded to 0.1 (either neighbour when `exact` sits on a half). */
function rounded(served, exact) {
  if (exact === null || served === null || served === undefined) return served === exact || (served === undefined && exact === null);
  const t = exact * 10;
  const candidates = Math.abs(t - Math.floor(t) - 0.5) < 1e-9 ? [Math.floor(t), Math.ceil(t)] : [Math.round(t)];
  return candidates.some((c) => Math.abs(served - c / 10) < 1e-9);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function checkConsolidation(database, campaignId, criteria, served) {
  const problems = [];
  const byResidence = new Map();
  for (const row of storedRows(database, campaignId)) {
    if (!byResidence.has(row.residence_id)) byResidence.set(row.residence_id, []);
    byResidence.get(row.residence_id).push(row.scores);
  }
  for (const r of served) {
    const rows = byResidence.get(r.id) ?? [];
    const means = {};
    let spread = null;
    for (const c of criteria) {
      const xs = rows.map((s) => s[c]).filter((x) => x !== undefined && x !== null).map(Number);
      means[c] = xs.length ? mean(xs) : null;
      // A gap needs two partners on the same criterion.
      if (xs.length >= 2) spread = Math.max(spread ?? 0, Math.max(...xs) - Math.min(...xs));
    }
    const given = Object.values(means).filter((x) => x !== null);
    const overall = given.length ? mean(given) : null;
    const wrong = [];
    if (r.partners !== rows.length) wrong.push(`partners ${r.partners} ≠ ${rows.length}`);
    for (const c of criteria) if (!rounded(r.means?.[c] ?? null, means[c])) wrong.push(`${c} ${r.means?.[c]} ≠ ${means[c]}`);
    if (!rounded(r.overall ?? null, overall)) wrong.push(`overall ${r.overall} ≠ ${overall}`);
    if ((r.spread ?? null) !== spread) wrong.push(`spread ${r.spread} ≠ ${spread}`);
    if (r.desaccord !== (spread !== null && spread >= 2)) wrong.push(`desaccord ${r.desaccord} with a spread of ${spread}`);
    if (wrong.length) problems.push(`residence ${r.id}: ${wrong.join(', ')}`);
    byResidence.delete(r.id);
  }
  for (const rid of byResidence.keys()) problems.push(`residence ${rid} rated but not served`);
  return problems;
}

// --- main --------------------------------------------------------------------------------------

const databases = [sqliteDatabase];
if (process.env.BOURG_TEST_POSTGRES) databases.push(() => postgresDatabase(process.env.BOURG_TEST_POSTGRES));
else if (process.env.CI_REQUIRE_POSTGRES === '1') {
  console.error('CI_REQUIRE_POSTGRES=1 but BOURG_TEST_POSTGRES is not set (scripts/postgres-test.sh run -- …)');
  process.exit(1);
} else console.error('BOURG_TEST_POSTGRES not set: SQLite only');

console.log(`${args.orgs} organisations × ${args.members} members × ${args.writes} writes (every ${args['update-every']}th an update), ${args.bin}`);
console.log('database     writes  failed   p50 ms   p95 ms   p99 ms   max ms  writes/s');
let failed = false;
for (const make of databases) {
  const database = make();
  try {
    const { figures: f, stored, consolidation, ratings, residences, rated } = await run(database);
    const report = (what, problems, ok) => {
      for (const p of problems.slice(0, 20)) console.error(`  ${database.name}: ${p}`);
      if (problems.length > 20) console.error(`  ${database.name}: … ${problems.length - 20} more`);
      console.log(`  ${database.name}: ${what}: ${problems.length ? `${problems.length} PROBLEMS` : ok}`);
    };
    report('storage (read back with its own client)', stored, `${ratings} ratings stored exactly once as acknowledged, every revision kept`);
    report('consolidation', consolidation, `${residences} residences (${rated} rated) served as recomputed from the rows`);
    if (stored.length || consolidation.length || f.failures) failed = true;
  } finally {
    database.drop();
  }
}
process.exit(failed ? 1 : 0);
