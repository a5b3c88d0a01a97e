/**
 * Fewer, fuller TCP segments per message. nodemailer turns Nagle off (it writes its commands in the
 * batches they belong to) and writes a message's body in several pieces (headers, content, the final
 * dot), so each piece left in a segment, a system call of its own and a wake-up of the server per
 * piece. Here the writes made on a connection within one tick of the event loop leave together
 * (cork, then uncork on the next tick): the same bytes, in the same order, without waiting for
 * anything but the end of the current tick.
 */
import type net from 'node:net';
import type { GetSocket } from './outbound';

export function coalesceWrites(socket: net.Socket): net.Socket {
  const write = socket.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function (this: net.Socket, ...args: Parameters<typeof write>) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as typeof write;
  return socket;
}

/** A getSocket hook whose sockets coalesce their writes. */
export function coalescing(getSocket: GetSocket): GetSocket {
  return (options, callback) =>
    getSocket(options, (err, socketOptions) => callback(err, socketOptions && { connection: coalesceWrites(socketOptions.connection) }));
}
