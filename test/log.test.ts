/**
 * The log (server/log.ts): JSON lines with the ids given, secrets redacted by key wherever they sit one
 * level deep, and email addresses masked in messages, fields and errors; the text format for people
 * carries the same masking.
 */
import { describe, expect, it } from 'vitest';
import { createLogger, maskEmails } from '../server/log';

function capture(format: 'json' | 'text') {
  const lines: string[] = [];
  const logger = createLogger({ format, level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

describe('the log', () => {
  it('masks an email address to its first letter and domain', () => {
    expect(maskEmails('sent to jane.doe+news@example.com and bob@mail.example.org')).toBe('sent to j***@example.com and b***@mail.example.org');
    expect(maskEmails('no address here, just a @mention')).toBe('no address here, just a @mention');
  });

  it('writes JSON lines with the ids, secrets redacted and addresses masked', () => {
    const { logger, lines } = capture('json');
    logger.child({ service: 'worker' }).warn(
      {
        runId: 'run_1',
        contactId: 'ct_1',
        nodeId: 'send-1',
        workflowId: 'campaign-run_1',
        email: 'jane.doe@example.com',
        password: 'hunter2-secret',
        profile: { host: 'smtp.example.com', pass: 'app-password', apiKey: 'k-123' },
        headers: { authorization: 'Bearer abc' },
      },
      'the server refused jane.doe@example.com: 550 no such user',
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '{}');
    expect(entry).toMatchObject({
      level: 40,
      service: 'worker',
      runId: 'run_1',
      contactId: 'ct_1',
      nodeId: 'send-1',
      workflowId: 'campaign-run_1',
      email: 'j***@example.com',
      password: '[redacted]',
      profile: { host: 'smtp.example.com', pass: '[redacted]', apiKey: '[redacted]' },
      headers: { authorization: '[redacted]' },
      msg: 'the server refused j***@example.com: 550 no such user',
    });
    for (const secret of ['hunter2', 'app-password', 'k-123', 'Bearer abc', 'jane.doe']) expect(lines[0]).not.toContain(secret);
  });

  it('masks addresses in an error and in message arguments', () => {
    const { logger, lines } = capture('json');
    logger.error({ err: new Error('550 5.1.1 <bob@example.org>: recipient rejected') }, 'send failed');
    logger.info('resent to %s', 'carol@example.net');
    const [failed, resent] = lines.map((l) => JSON.parse(l));
    expect(failed.err.message).toBe('550 5.1.1 <b***@example.org>: recipient rejected');
    expect(failed.err.type).toBe('Error');
    expect(failed.err.stack).not.toContain('bob@');
    expect(resent.msg).toBe('resent to c***@example.net');
  });

  it('writes one readable line for people, masked the same way', () => {
    const { logger, lines } = capture('text');
    logger.child({ service: 'worker' }).info({ runId: 'run_1', token: 'tok-secret' }, 'sent to dan@example.com');
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} info \[worker\] sent to d\*\*\*@example\.com runId=run_1 token=\[redacted\]\n$/);
  });
});
