/**
 * The log every Node process of Dripline writes: pino, one JSON object a line (DRIPLINE_LOG_FORMAT=json,
 * the default when NODE_ENV=production) or one readable line per entry for a person (text, the default
 * otherwise, as `npm start` shows it). Entries carry the ids known where they are written (runId,
 * contactId, nodeId, workflowId); secrets never reach it (redacted by key) and email addresses are
 * masked (jane@example.com becomes j***@example.com) in messages and fields alike.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { ConfigEnv } from './config';

export type { Logger };

/** Keys whose values are secrets, at the top of an entry or one level down (err, headers, profile…). */
const SECRET_KEYS = ['password', 'pass', 'apiKey', 'token', 'secret', 'secretKey', 'authorization', 'cookie', 'key', 'login'];
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`]);

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;

/** jane.doe@example.com → j***@example.com: enough to tell which domain, not whose address. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, '$1***@$2');
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskEmails(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return maskDeep(pino.stdSerializers.err(value), depth + 1);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, depth + 1)]));
}

/** One readable line: time, level, service, message, then the other fields as key=value. */
function textLine(line: string): string {
  const { time, level, service, msg, err, ...rest } = JSON.parse(line) as Record<string, unknown>;
  const fields = Object.entries(rest)
    .filter(([k]) => k !== 'pid' && k !== 'hostname')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const error = err && typeof err === 'object' ? `\n${(err as { stack?: string }).stack ?? JSON.stringify(err)}` : '';
  const when = new Date(Number(time)).toISOString().slice(11, 23);
  return `${when} ${pino.levels.labels[Number(level)] ?? level} ${service ? `[${service}] ` : ''}${msg ?? ''}${fields.length ? ` ${fields.join(' ')}` : ''}${error}\n`;
}

export interface LogOptions {
  format?: 'json' | 'text';
  level?: string;
  /** Where lines go (tests); standard output otherwise. */
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const format = options.format ?? (process.env.NODE_ENV === 'production' ? 'json' : 'text');
  const out = options.destination ?? process.stdout;
  const destination: DestinationStream = format === 'text' ? { write: (line: string) => void out.write(textLine(line)) } : out;
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors are serialized (and masked) by the formatter already.
      serializers: { err: (e: unknown) => (e instanceof Error ? pino.stdSerializers.err(e) : e) },
      // After redaction: every string left, the message included, has its email addresses masked.
      formatters: { log: (entry) => maskDeep(entry) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? maskEmails(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** The process's log, set up from DRIPLINE_LOG_FORMAT and DRIPLINE_LOG_LEVEL (an invalid value is named, and the defaults used). */
function fromEnvironment(): Logger {
  const format = ConfigEnv.shape.DRIPLINE_LOG_FORMAT.safeParse(process.env.DRIPLINE_LOG_FORMAT || undefined);
  const level = ConfigEnv.shape.DRIPLINE_LOG_LEVEL.safeParse(process.env.DRIPLINE_LOG_LEVEL || undefined);
  const logger = createLogger({ format: format.data, level: level.data });
  if (!format.success) logger.warn('DRIPLINE_LOG_FORMAT must be json or text; using the default');
  if (!level.success) logger.warn('DRIPLINE_LOG_LEVEL must be trace, debug, info, warn, error or fatal; using info');
  return logger;
}

export const log: Logger = fromEnvironment();
