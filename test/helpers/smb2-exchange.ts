/**
 * Runs inside a test's network namespace (`ip netns exec NS node smb2-exchange.js HOST PORT`), since Node cannot
 * enter one itself: reads JSON `string[][]` on stdin, conversations of hex-encoded SMB2 requests, sends each
 * conversation on its own connection one request at a time and prints the hex responses as JSON `string[][]`.
 * It only moves bytes; building and parsing them stays in the test. Connecting is retried until the server listens.
 */
import { connect, Socket } from 'node:net';
import { frame, unframe } from '../../enum/smb2/framing.js';

const [host, port] = [process.argv[2]!, Number(process.argv[3])];
const deadline = Date.now() + 15_000;

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function openWhenReady(): Promise<Socket> {
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function converse(requests: string[]): Promise<string[]> {
  const socket = await openWhenReady();
  let buffered: Buffer = Buffer.alloc(0);
  const waiting: Array<{ resolve: (message: Buffer) => void; reject: (err: Error) => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let next = unframe(buffered); next; next = unframe(buffered)) {
      buffered = next.rest;
      waiting.shift()?.resolve(Buffer.from(next.message));
    }
  });
  socket.on('close', () => waiting.splice(0).forEach((w) => w.reject(new Error('the server closed the connection'))));
  const answers: string[] = [];
  try {
    for (const hex of requests) {
      const answer = new Promise<Buffer>((resolve, reject) => {
        waiting.push({ resolve, reject });
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref();
      });
      socket.write(frame(Buffer.from(hex, 'hex')));
      answers.push((await answer).toString('hex'));
    }
  } finally {
    socket.destroy();
  }
  return answers;
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const conversations = JSON.parse(Buffer.concat(chunks).toString('utf8')) as string[][];
const out: string[][] = [];
for (const c of conversations) out.push(await converse(c));
process.stdout.write(JSON.stringify(out));
