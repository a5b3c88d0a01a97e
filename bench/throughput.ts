/**
 * Throughput and memory: raw nodemailer → sandbox SMTP, then campaigns of 10k and 100k recipients
 * started through the API, on a stack of its own (bench/results/stack.log).
 *   BENCH_SIZES=10000,100000   audience sizes, ascending
 *   BENCH_RAW_N=10000          messages of the raw baseline, measured before and after each campaign; the
 *                              faster of the two counts (other work on the machine only ever slows it down)
 *   BENCH_WARMUP=0             skip the untimed warm-up (2,000 raw messages and a 1,000-recipient campaign)
 */
import path from 'node:path';
import { ensureContacts, measureCampaign, measureRaw, warmUp, type CampaignResult, type RawResult } from './measure';
import { gitCommit, machineInfo, type PartContext, type PartResult, withSession } from './session';
import { round } from './sink';

const integers = (text: string | undefined, fallback: number[]) =>
  text
    ? text
        .split(',')
        .map((s) => Number(s.trim().replace(/_/g, '')))
        .filter((n) => Number.isInteger(n) && n > 0)
    : fallback;
const SIZES = integers(process.env.BENCH_SIZES, [10_000, 100_000]).sort((a, b) => a - b);
const RAW_N = integers(process.env.BENCH_RAW_N, [10_000])[0] ?? 10_000;
const WARMUP = process.env.BENCH_WARMUP !== '0' ? { raw: 2_000, recipients: Math.min(1_000, SIZES[0] ?? 1_000) } : null;

interface Row {
  /** The faster of the raw baselines around the campaign. */
  raw: RawResult;
  raws: RawResult[];
  campaign: CampaignResult;
}

export function bestRaw(raws: RawResult[]): RawResult {
  const best = [...raws].sort((a, b) => b.raw_per_s - a.raw_per_s)[0]!;
  const error =
    raws
      .map((r) => r.error)
      .filter(Boolean)
      .join('; ') || null;
  return { ...best, error };
}

const perMessage = (cpu: Record<string, number>, messages: number) =>
  Object.fromEntries(Object.entries(cpu).map(([role, seconds]) => [role, Math.round((seconds * 1e6) / messages)]));

function results(root: string, rows: Row[], errors: string[], startedAt: Date) {
  return {
    machine: machineInfo(),
    measured_at: startedAt.toISOString(),
    commit: gitCommit(root),
    raw_messages: RAW_N,
    warmup: WARMUP,
    throughput: rows.map(({ raw, raws, campaign: c }) => ({
      recipients: c.recipients,
      raw_per_s: round(raw.raw_per_s),
      raw_runs_per_s: raws.map((r) => round(r.raw_per_s)),
      e2e_per_s: round(c.e2e_per_s),
      ratio: raw.raw_per_s > 0 ? round(c.e2e_per_s / raw.raw_per_s, 3) : 0,
      start_request_ms: round(c.start_request_ms),
      failed: c.failed,
      duplicates: c.duplicates,
      stored: c.stored,
      run_id: c.runId,
      status: c.status,
      first_stored_s: c.first_stored_s === null ? null : round(c.first_stored_s, 2),
      last_stored_s: c.last_stored_s === null ? null : round(c.last_stored_s, 2),
      steady_per_s: c.steady_per_s === null ? null : round(c.steady_per_s),
      deciles_s: c.deciles_s.map((d) => (d === null ? null : round(d, 1))),
      cpu_s: c.cpu_s,
      // CPU per message by process (µs): what a busy machine disturbs least, unlike the rates.
      cpu_us_per_message: perMessage(c.cpu_s, c.recipients),
      wall_s: round(c.wall_s, 1),
      write_mb: c.write_mb,
      raw_cpu_s: raw.cpu_s,
      raw_cpu_us_per_message: perMessage(raw.cpu_s, raw.messages),
      raw_wall_s: round(raw.wall_s, 1),
      load_avg_1m: c.load_avg_1m.map((l) => round(l, 2)),
      // Cores' worth of CPU that processes outside the stack and the bench used meanwhile: above ~0.2 the figure is disturbed.
      others_cores: c.wall_s > 0 ? round(c.cpu_s.others / c.wall_s, 2) : null,
      raw_others_cores: raw.wall_s > 0 ? round(raw.cpu_s.others / raw.wall_s, 2) : null,
      error: [raw.error, c.error].filter(Boolean).join('; ') || null,
    })),
    memory: rows.map(({ campaign: c }) => ({
      recipients: c.recipients,
      worker_rss_mb: round(c.worker_rss_mb),
      web_rss_mb: round(c.web_rss_mb),
      worker_rss_idle_mb: round(c.worker_rss_idle_mb),
      web_rss_idle_mb: round(c.web_rss_idle_mb),
    })),
    errors,
  };
}

/** The table, with each row's errors (the part's own errors are printed by run.ts). */
function summary(rows: Row[]): string {
  const head = ['recipients', 'raw/s', 'e2e/s', 'ratio', 'start ms', 'first s', 'steady/s', 'failed', 'dups', 'worker MB', 'web MB'];
  const body = rows.map(({ raw, campaign: c }) => [
    c.recipients.toLocaleString('en-US'),
    String(Math.round(raw.raw_per_s)),
    String(Math.round(c.e2e_per_s)),
    raw.raw_per_s > 0 ? (c.e2e_per_s / raw.raw_per_s).toFixed(3) : '-',
    String(Math.round(c.start_request_ms)),
    c.first_stored_s === null ? '-' : c.first_stored_s.toFixed(1),
    c.steady_per_s === null ? '-' : String(Math.round(c.steady_per_s)),
    String(c.failed),
    String(c.duplicates),
    String(Math.round(c.worker_rss_mb)),
    String(Math.round(c.web_rss_mb)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  for (const { campaign: c, raw } of rows) {
    for (const e of [raw.error, c.error]) if (e) out.push(`ERROR at ${c.recipients.toLocaleString('en-US')}: ${e}`);
  }
  for (const { campaign: c, raw } of rows) {
    const others = Math.max(c.wall_s > 0 ? c.cpu_s.others / c.wall_s : 0, raw.wall_s > 0 ? raw.cpu_s.others / raw.wall_s : 0);
    if (others > 0.2)
      out.push(
        `NOTE at ${c.recipients.toLocaleString('en-US')}: other processes on this machine used ${others.toFixed(2)} cores meanwhile; the figures are disturbed`,
      );
  }
  return out.join('\n');
}

export async function throughputPart(ctx: PartContext): Promise<PartResult> {
  const { progress } = ctx;
  const startedAt = new Date();
  const rows: Row[] = [];
  const errors: string[] = [];
  try {
    await withSession(
      { root: ctx.root, logFile: path.join(ctx.resultsDir, 'stack.log'), progress },
      async ({ stack, dbs, api, flow }) => {
        if (WARMUP && SIZES[0]) {
          await ensureContacts(dbs.app, SIZES[0], progress);
          await warmUp(dbs, stack, api, flow, progress, WARMUP.raw, WARMUP.recipients);
        }
        for (const size of SIZES) {
          await ensureContacts(dbs.app, size, progress);
          const raws = [await measureRaw(dbs.sandbox, stack, RAW_N, progress, 5 * 60_000, 'raw nodemailer (before)')];
          const campaign = await measureCampaign(dbs, stack, api, flow, size, progress);
          if (campaign.status === 'completed' && stack.running)
            raws.push(await measureRaw(dbs.sandbox, stack, RAW_N, progress, 5 * 60_000, 'raw nodemailer (after)'));
          rows.push({ raw: bestRaw(raws), raws, campaign });
          // A stuck or broken run makes the larger ones meaningless: stop here.
          if (campaign.status !== 'completed' || !stack.running) {
            errors.push(`stopped after ${size.toLocaleString('en-US')} recipients: the run did not complete`);
            break;
          }
        }
      },
      (e) => errors.push(e),
    );
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  }
  return { keys: results(ctx.root, rows, errors, startedAt), errors, summary: summary(rows) };
}
