/**
 * `npm run bench`: each part starts the real product (scripts/start.ts) on its own ports and a fresh
 * data folder, measures, and merges its figures into bench/results/latest.json (keeping every key
 * other parts or earlier runs wrote there).
 *   BENCH_PARTS=throughput,postgres,queries,throttle,adaptive,server_shapes,faults,import,events   the parts to run, in this order (default: all)
 *   throughput  raw nodemailer → sandbox, campaigns of 10k and 100k, memory (bench/throughput.ts:
 *               BENCH_SIZES, BENCH_RAW_N, BENCH_WARMUP)
 *   postgres    the same campaigns with the app database on PostgreSQL, with 1 and 3 workers
 *               (bench/postgres.ts: BENCH_PG_SIZES, BENCH_PG_WORKERS)
 *   queries     the run page, the contacts list and the delivery log at 1,000,000 rows, on SQLite and
 *               PostgreSQL (bench/queries.ts: BENCH_QUERY_ROWS)
 *   throttle    the busiest second and the steady rate at profile limits 1, 14, 100, 500/s (bench/sending.ts)
 *   adaptive    a server throttling at 50/s that the profile does not know (bench/sending.ts)
 *   server_shapes  servers that count as real ones do (a bucket, a window per client, a cap per minute, limits on connections, greylisting,
 *               Debian's Postfix when run as root), 3,000 recipients each (bench/shapes.ts)
 *   faults      454 on 30%, a killed worker, connections dropped after DATA, overlapping attempts (bench/faults.ts)
 *   import      a 100,000-row CSV imported by the durable job: seconds and worker memory (bench/audiences.ts: BENCH_IMPORT_ROWS)
 *   events      API events per second, beside journeys started straight on the same Temporal server
 *               (bench/audiences.ts: BENCH_EVENTS, BENCH_EVENT_CLIENTS)
 *   BENCH_KEEP_DATA=1          keep the data folders (the SQLite databases) for a look afterwards
 *   BENCH_STACK_NODE_OPTIONS   NODE_OPTIONS for the stack only; DRIPLINE_CPU_PROFILE_DIR=<dir> profiles its worker, sandbox and web app
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventsPart, importPart } from './audiences';
import { faultsPart } from './faults';
import { postgresPart } from './postgres';
import { Progress } from './progress';
import { queriesPart } from './queries';
import { adaptivePart, throttlePart } from './sending';
import { shapesPart } from './shapes';
import { gitCommit, liveServers, liveStacks, machineInfo, type PartContext, type PartResult } from './session';
import { throughputPart } from './throughput';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench', 'results');
const resultsFile = path.join(resultsDir, 'latest.json');

const PARTS: Record<string, (ctx: PartContext) => Promise<PartResult>> = {
  throughput: throughputPart,
  postgres: postgresPart,
  queries: queriesPart,
  throttle: throttlePart,
  adaptive: adaptivePart,
  server_shapes: shapesPart,
  faults: faultsPart,
  import: importPart,
  events: eventsPart,
};

const readResults = (): Record<string, unknown> =>
  fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Record<string, unknown>) : {};

/** Merges a part's keys into latest.json now, so a later part that fails keeps what this one measured. */
function save(name: string, result: PartResult, startedAt: Date): void {
  const existing = readResults();
  const parts = (existing.parts ?? {}) as Record<string, unknown>;
  const merged = {
    ...existing,
    machine: machineInfo(),
    ...result.keys,
    parts: {
      ...parts,
      [name]: {
        measured_at: startedAt.toISOString(),
        commit: gitCommit(root),
        wall_s: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
        errors: result.errors,
      },
    },
  };
  fs.writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
}

async function main(): Promise<number> {
  const progress = new Progress();
  const wanted = (process.env.BENCH_PARTS ?? Object.keys(PARTS).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted.filter((p) => !(p in PARTS));
  if (unknown.length > 0) throw new Error(`BENCH_PARTS: unknown part(s) ${unknown.join(', ')}; the parts are ${Object.keys(PARTS).join(', ')}`);
  fs.mkdirSync(resultsDir, { recursive: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress.log(`\n${signal}: stopping the stack...`);
      void Promise.all([...liveStacks].map((s) => s.stop())).finally(() => {
        for (const server of liveServers) server.stop();
        process.exit(130);
      });
    });
  }

  const summaries: string[] = [];
  let failed = false;
  for (const name of Object.keys(PARTS).filter((p) => wanted.includes(p))) {
    const startedAt = new Date();
    progress.log(`\n== ${name} ==`);
    const result = await PARTS[name]!({ root, resultsDir, progress, previous: readResults() });
    save(name, result, startedAt);
    summaries.push(`== ${name} ==\n${result.summary}${result.errors.length ? `\n${result.errors.map((e) => `ERROR: ${e}`).join('\n')}` : ''}`);
    failed ||= result.errors.length > 0 || /\bERROR\b/.test(result.summary);
  }
  console.log(`\n${summaries.join('\n\n')}\n\nwritten: ${path.relative(process.cwd(), resultsFile)}`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
