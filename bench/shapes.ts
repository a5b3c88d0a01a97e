/**
 * server_shapes: the pace against servers that count as real ones do (server/sandbox-shapes.ts), each
 * announcing more than it really takes (real=90%): 3,000 recipients per shape, the sandbox profile
 * unlimited and then limited to 1.8 × the server's real rate. Target (issue 22): within 1.15 × the
 * ideal time (recipients / real rate), throttle replies under 3% of messages, none lost or duplicated.
 * The shapes are scaled so that a run takes about a minute (a per-hour cap would take hours: the pace
 * against it is simulated in test/pace-controller.test.ts).
 * `postfix` checks the sandbox's fixed window against the real thing: Debian's Postfix (scripts/postfix-server.ts,
 * root only) limiting the client with anvil, in front of the sandbox (it relays what it accepts), so the
 * messages are counted at the same sink.
 *   BENCH_SHAPE_RECIPIENTS=3000   BENCH_SHAPES=bucket,window,minute,connections,greylist,postfix
 */
import path from 'node:path';
import nodemailer from 'nodemailer';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { enforced } from '../server/sandbox-shapes';
import { POSTFIX_MISSING, postfixUsable, startPostfix } from '../scripts/postfix-server';
import { contactsFor, measuredRun } from './sending';
import { freePort, liveServers, numbers, type PartContext, type PartResult, withSession } from './session';
import { errorText, round, table } from './sink';

const RECIPIENTS = Math.round(numbers(process.env.BENCH_SHAPE_RECIPIENTS, [3000])[0] ?? 3000);
const REAL = 0.9;

/** Each shape as SANDBOX_FAULTS (or a Postfix's anvil limit), and the rate it really takes (per second). */
const SHAPES: Record<string, { faults: string; realPerSecond: number; postfix?: { messages: number; seconds: number } }> = {
  bucket: { faults: 'throttle=50/s,burst=50,real=90%', realPerSecond: 50 * REAL },
  window: { faults: 'window=600/10s,real=90%', realPerSecond: enforced(600, REAL) / 10 },
  minute: { faults: 'per-minute=3000,real=90%', realPerSecond: enforced(3000, REAL) / 60 },
  // Exchange's limits on connections: 100 messages each (then 421 4.3.2 and the connection closed) and two
  // open at once (a third is refused at its greeting), in front of a bucket.
  connections: { faults: 'throttle=50/s,burst=50,real=90%,per-connection=100,max-connections=2', realPerSecond: 50 * REAL },
  // Greylisting in front of a bucket: every recipient's first RCPT TO is answered 451, the next passes.
  greylist: { faults: 'throttle=50/s,burst=50,real=90%,greylist=1', realPerSecond: 50 * REAL },
  // The rate is measured before the runs (realPostfixRate): anvil's 10 s window lasts 10 to 11 s, about 45/s.
  postfix: { faults: 'Postfix anvil 500/10s', realPerSecond: 50, postfix: { messages: 500, seconds: 10 } },
};

/**
 * What a Postfix really takes: the window is filled and waited out; the next one starts with the message
 * accepted when it reopens (anvil counts from a client's first message), is filled again by four
 * connections at once, and waited out again: its messages over the time between the two reopenings.
 * Every fill and every probe is on connections of its own: Postfix answers a session that made more than
 * 10 errors a second late (smtpd_error_sleep_time), so probing on refused sessions measured its window
 * 1 to 3 s long and its rate a fifth low (37/s for anvil's 45/s).
 */
async function realPostfixRate(port: number): Promise<number> {
  const transport = (connections: number) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: connections,
      maxMessages: 1e6,
    });
  const send = (t: ReturnType<typeof transport>) =>
    t.sendMail({ from: 'probe@bench.test', to: 'probe@bench.test', subject: 'window probe', text: '.' }).then(
      () => true,
      () => false,
    );
  /** Sends on four connections until one is refused; how many were accepted. */
  const fill = async () => {
    const lanes = transport(4);
    let [accepted, full] = [0, false];
    const until = Date.now() + 120_000;
    const lane = async () => {
      while (!full) {
        if (Date.now() > until) throw new Error('Postfix never refused: its limit is not in force');
        if (await send(lanes)) accepted++;
        else full = true;
      }
    };
    try {
      await Promise.all([lane(), lane(), lane(), lane()]);
    } finally {
      lanes.close();
    }
    return accepted;
  };
  /** Tries every 50 ms, each time on a new connection, until a message is accepted: when, that message being the window's first. */
  const reopened = async () => {
    for (;;) {
      const probe = transport(1);
      const at = Date.now();
      const accepted = await send(probe).finally(() => probe.close());
      if (accepted) return at;
      await new Promise((wake) => setTimeout(wake, 50));
    }
  };
  await fill();
  const first = await reopened();
  const taken = 1 + (await fill());
  return taken / (((await reopened()) - first) / 1000);
}

export interface ShapeRow {
  shape: string;
  server_rate_per_s: number;
  profile_limit_per_s: number | null;
  recipients: number;
  seconds: number | null;
  ideal_seconds: number;
  throttle_replies: number;
  delivered: number;
  duplicates: number;
  lost: number;
  meets_target: boolean;
  error: string | null;
}

export async function shapesPart(ctx: PartContext): Promise<PartResult> {
  const rows: ShapeRow[] = [];
  const errors: string[] = [];
  const names = (process.env.BENCH_SHAPES ?? Object.keys(SHAPES).join(',')).split(',').filter((n) => SHAPES[n]);
  for (const shape of names) {
    const { faults, postfix } = SHAPES[shape]!;
    let realPerSecond = SHAPES[shape]!.realPerSecond;
    if (postfix && !postfixUsable()) {
      errors.push(`${shape}: ${POSTFIX_MISSING}`);
      continue;
    }
    const postfixPort = postfix ? await freePort() : 0;
    try {
      await withSession(
        {
          root: ctx.root,
          logFile: path.join(ctx.resultsDir, `stack-shape-${shape}.log`),
          progress: ctx.progress,
          // Postfix is an SMTP server on this machine: the outbound guard lets the profile reach it only when allowed.
          env: postfix ? { DRIPLINE_SMTP_ALLOWED_HOSTS: `127.0.0.1:${postfixPort}` } : { SANDBOX_FAULTS: faults },
          waitForWorker: true,
        },
        async (s) => {
          // Greylisting lets a (sender, recipient) pair through once it was tried: each run has recipients of its own.
          const contacts = await contactsFor(s, ctx, shape === 'greylist' ? 2 * RECIPIENTS : RECIPIENTS);
          const mta = postfix
            ? await startPostfix({
                port: postfixPort,
                rate: postfix,
                relay: { host: '127.0.0.1', port: s.stack.ports.smtp, ...s.stack.sandboxLogin },
              })
            : undefined;
          if (mta) {
            liveServers.add(mta);
            await s.api.setServer(SANDBOX_PROFILE_ID, '127.0.0.1', mta.port);
            realPerSecond = await realPostfixRate(mta.port);
            ctx.progress.log(`Postfix takes ${realPerSecond.toFixed(1)}/s (anvil ${postfix!.messages} per ${postfix!.seconds} s)`);
          }
          const ideal = RECIPIENTS / realPerSecond;
          try {
            for (const limit of [null, round(1.8 * realPerSecond, 2)]) {
              const row: ShapeRow = {
                shape: `${shape} (${faults})`,
                server_rate_per_s: round(realPerSecond, 2),
                profile_limit_per_s: limit,
                recipients: RECIPIENTS,
                seconds: null,
                ideal_seconds: round(ideal, 1),
                throttle_replies: 0,
                delivered: 0,
                duplicates: 0,
                lost: RECIPIENTS,
                meets_target: false,
                error: null,
              };
              try {
                // Each run on a fresh window: the server's from the run before would hold the next one back.
                await new Promise((wake) => setTimeout(wake, shape === 'minute' ? 61_000 : mta ? 16_000 : 11_000));
                const audience = limit !== null && shape === 'greylist' ? contacts.slice(RECIPIENTS) : contacts.slice(0, RECIPIENTS);
                const m = await measuredRun(s, ctx, `shape ${shape} ${limit ?? 'no limit'}`, limit, audience, ideal * 3000 + 120_000);
                Object.assign(row, {
                  seconds: m.seconds === null ? null : round(m.seconds, 1),
                  throttle_replies: m.tally.throttleReplies,
                  delivered: m.tally.delivered,
                  duplicates: m.tally.messages - m.tally.delivered,
                  lost: m.tally.lost,
                  error: m.problems.join('; ') || null,
                });
                row.meets_target =
                  m.problems.length === 0 && m.seconds !== null && m.seconds <= 1.15 * ideal && m.tally.throttleReplies < 0.03 * RECIPIENTS;
              } catch (err) {
                row.error = errorText(err);
              }
              rows.push(row);
            }
          } finally {
            mta?.stop();
            if (mta) liveServers.delete(mta);
          }
        },
        (e) => errors.push(e),
      );
    } catch (err) {
      errors.push(`${shape}: ${errorText(err)}`);
    }
  }
  const summary = table(
    ['shape', 'server/s', 'profile/s', 'seconds', 'ideal', 'ratio', 'throttle', 'replies %', 'delivered', 'dups', 'lost', 'target'],
    rows.map((r) => [
      r.shape,
      String(r.server_rate_per_s),
      r.profile_limit_per_s === null ? 'none' : String(r.profile_limit_per_s),
      r.seconds === null ? '-' : r.seconds.toFixed(1),
      String(r.ideal_seconds),
      r.seconds === null ? '-' : (r.seconds / r.ideal_seconds).toFixed(2),
      String(r.throttle_replies),
      ((100 * r.throttle_replies) / r.recipients).toFixed(1),
      String(r.delivered),
      String(r.duplicates),
      String(r.lost),
      r.meets_target ? 'met' : 'MISSED',
    ]),
  );
  const notes = rows.filter((r) => r.error).map((r) => `ERROR ${r.shape}, profile ${r.profile_limit_per_s ?? 'unlimited'}: ${r.error}`);
  return {
    keys: { server_shapes: rows },
    errors,
    summary: [
      'server_shapes: servers that count as real ones do; ≤ 1.15 × ideal, < 3% throttle replies, 0 lost, 0 duplicates',
      summary,
      ...notes,
    ].join('\n'),
  };
}
