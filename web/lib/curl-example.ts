/** The curl command the API page shows: one event, runnable as shown once the key is a real one. */

/** A word for a POSIX shell, in single quotes (a quote inside closes, escapes and reopens them). */
const shellWord = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

export function eventCurl(publicUrl: string, apiKey: string, event: string): string {
  const body = { event, email: 'ada@example.com', name: 'Ada Lovelace', idempotencyKey: `${event}-ada-1` };
  return [
    `curl -sS -X POST ${shellWord(`${publicUrl.replace(/\/+$/, '')}/api/v1/events`)} \\`,
    `  -H ${shellWord(`Authorization: Bearer ${apiKey}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellWord(JSON.stringify(body))}`,
  ].join('\n');
}
