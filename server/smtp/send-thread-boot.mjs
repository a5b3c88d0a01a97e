// The sending thread's entry (server/smtp/send-thread.ts): a worker thread loads TypeScript through
// tsx's loader whether the process runs under tsx, vitest or Next.
import { register } from 'tsx/esm/api';

register();
// Node's stream.pipeline aborts an AbortController when each message's stream finishes, and the
// DOMException that makes captures a stack. Errors leave this thread as their code and message only.
Error.stackTraceLimit = 0;
await import('./send-thread-main.ts');
