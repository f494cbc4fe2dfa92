import { connect } from 'node:net';

/**
 * Sends raw bytes to a local server and resolves with everything it wrote before closing the
 * socket — for inputs no HTTP client will produce (bad framing, CR/LF, slow or lying bodies).
 * A reset after some of the response was read still counts: the client got its answer.
 */
export function rawHttp(
  port: number,
  send: (write: (data: string | Buffer) => boolean) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', (err) => (received.length > 0 ? resolve(received) : reject(err)));
    socket.on('connect', () => send((data) => !socket.destroyed && socket.write(data)));
  });
}
