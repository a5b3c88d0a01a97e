/**
 * The sending thread (server/smtp/send-thread.ts): the worker's SMTP conversations (smtp-wire.ts),
 * off the event loop that commits outcomes to SQLite.
 */
import { parentPort } from 'node:worker_threads';
import { type FromWire, smtpWire, type ToWire } from './smtp-wire';

const port = parentPort;
if (!port) throw new Error('send-thread-main runs in a worker thread (server/smtp/send-thread.ts starts it)');
// Replies leave together once per turn of the event loop: a message to the worker is a wake-up of its loop.
let outbox: FromWire[] = [];
const take = smtpWire((message) => {
  if (outbox.length === 0)
    setImmediate(() => {
      const batch = outbox;
      outbox = [];
      port.postMessage(batch);
    });
  outbox.push(message);
});
port.on('message', (batch: ToWire[]) => {
  for (const m of batch) take(m);
});
