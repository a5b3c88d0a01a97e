// The message builder's thread (server/smtp/message-builder.ts): turns the options of campaign messages
// into the exact bytes nodemailer would send, with nodemailer's own stream transport, off the worker's
// event loop. CommonJS, so that Node loads it in a thread without tsx.
const { parentPort } = require('node:worker_threads');

// Node's stream.pipeline aborts an AbortController when each message's stream finishes, and the
// DOMException that makes captures a stack: a tenth of this thread's time. Errors leave this thread as
// their message only, so their stacks are never read.
Error.stackTraceLimit = 0;
const nodemailer = require('nodemailer');

// CRLF line ends, as an SMTP transport sends them; no file or URL is ever read for a message.
const builder = nodemailer.createTransport({
  streamTransport: true,
  buffer: true,
  newline: 'windows',
  disableFileAccess: true,
  disableUrlAccess: true,
});

const build = (mail) =>
  builder.sendMail(mail).then(
    (info) => ({ raw: info.message, envelope: info.envelope }),
    (err) => ({ error: err instanceof Error ? err.message : String(err) }),
  );

parentPort.on('message', ({ id, mails }) => {
  Promise.all(mails.map(build)).then((built) => parentPort.postMessage({ id, built }));
});
