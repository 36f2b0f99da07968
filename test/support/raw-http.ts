import net from 'node:net';
import type { Answer } from './problems.js';

/**
 * Sends bytes exactly as given over a real TCP connection and reads one response. Needed for what
 * inject() cannot show: answers written by Node's HTTP parser and by the router before Fastify's
 * request lifecycle starts.
 */
export function exchange(port: number, request: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no complete answer within 5 s'));
    }, 5_000);
    const finish = () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0) return false;
      const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
      const headers: Answer['headers'] = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = raw.subarray(split + 4);
      const length = Number(headers['content-length'] ?? NaN);
      if (Number.isFinite(length) && body.length < length) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body: body.subarray(0, Number.isFinite(length) ? length : body.length).toString('utf8') });
      return true;
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      finish();
    });
    socket.on('end', () => {
      if (!finish()) reject(new Error(`incomplete answer: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    });
    socket.on('error', (error) => {
      if (!finish()) reject(error);
    });
    socket.write(request);
  });
}

/** A plain HTTP/1.1 request text with Host and `Connection: close`. */
export function requestText(method: string, target: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
