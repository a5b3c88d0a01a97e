/**
 * Fewer, fuller TCP segments per message. nodemailer turns Nagle off (it writes its commands in the
 * batches they belong to) and writes a message's body in several pieces (headers, content, the final
 * dot), so each piece left in a segment, a system call of its own and a wake-up of the server per
 * piece. Here the writes made on a connection within one turn of the event loop leave together
 * (cork, then uncork once the turn's callbacks ran: setImmediate). A message nodemailer builds as it
 * sends comes out of its streams over several ticks of one turn; a tick was too short to take it in
 * one write. The same bytes, in the same order, without waiting for anything but the current turn.
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
      setImmediate(uncork);
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
