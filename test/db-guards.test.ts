/**
 * What the database collectors refuse to send, against small loopback servers written here from the protocols'
 * documentation: a PostgreSQL server that asks for the password in clear text (AuthenticationCleartextPassword,
 * "R" with code 3) gets no PasswordMessage; a MySQL server that switches the login to the clear-text plugin
 * (AuthSwitchRequest for mysql_clear_password) gets no password. Both end `unsupported` with a note, having sent
 * nothing secret.
 */
import test from 'ava';
import * as net from 'node:net';
import { enumeratePostgres } from '../enum/db/postgres.js';
import { enumerateMysql } from '../enum/db/mysql.js';
import { Credential, Secret } from '../vault/credentials.js';

const ADDRESS = '127.131.0.22';
const PASSWORD = 'Guard-Pass-1';

function credential(type: 'mysql' | 'postgres'): Credential {
  return { name: `guard-${type}`, type, username: 'auditor', auth: 'password', elevate: null, scope: ['any'], keyId: 'k', createdAt: '', updatedAt: '', secrets: { password: new Secret(PASSWORD) } };
}

/** A server that answers the first bytes it reads with `reply` and keeps everything the client sends after. */
async function server(reply: (first: Buffer) => Buffer | undefined): Promise<{ port: number; received: () => Buffer; close: () => Promise<void> }> {
  let received = Buffer.alloc(0);
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    let first = true;
    s.on('data', (d) => {
      received = Buffer.concat([received, d]);
      if (first) {
        first = false;
        const r = reply(d);
        if (r) s.write(r);
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, ADDRESS, resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    received: () => received,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      srv.close(() => resolve());
    }),
  };
}

test('PostgreSQL: a request for the password in clear text gets no password', async (t) => {
  // AuthenticationCleartextPassword: 'R', length 8, code 3 (PostgreSQL protocol, "Message Formats").
  const pg = await server(() => Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
  t.teardown(() => pg.close());
  const record = await enumeratePostgres({ address: ADDRESS, port: pg.port, credential: credential('postgres'), timeoutMs: 3000 });
  await new Promise((r) => setTimeout(r, 200));
  t.is(record.status, 'unsupported');
  t.regex(record.notes[0]!, /clear text .* it was not sent/);
  t.false(pg.received().includes(Buffer.from(PASSWORD)), 'the password never reached the server');
  t.false(pg.received().includes(Buffer.from([0x70])) && pg.received().indexOf(0x70, pg.received().readUInt32BE(0)) >= 0, 'no PasswordMessage after the startup message');
});

test('MySQL: a switch to the clear-text plugin gets no password', async (t) => {
  // Initial handshake v10 announcing mysql_native_password, then an AuthSwitchRequest to mysql_clear_password.
  const seed = Buffer.alloc(20, 0x41);
  const handshake = Buffer.concat([
    Buffer.from([10]), Buffer.from('8.0.36\0'), Buffer.from([1, 0, 0, 0]), seed.subarray(0, 8), Buffer.from([0]),
    Buffer.from([0xff, 0xf7]), Buffer.from([0x21]), Buffer.from([0x02, 0x00]), Buffer.from([0xff, 0xdf]), Buffer.from([21]), Buffer.alloc(10),
    seed.subarray(8), Buffer.from([0]), Buffer.from('mysql_native_password\0'),
  ]);
  const packet = (seq: number, body: Buffer) => Buffer.concat([Buffer.from([body.length & 0xff, (body.length >> 8) & 0xff, body.length >> 16, seq]), body]);
  const switchRequest = packet(2, Buffer.concat([Buffer.from([0xfe]), Buffer.from('mysql_clear_password\0')]));
  let answered = false;
  const sockets = new Set<net.Socket>();
  let received = Buffer.alloc(0);
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.write(packet(0, handshake));
    s.on('data', (d) => {
      received = Buffer.concat([received, d]);
      if (!answered) {
        answered = true;
        s.write(switchRequest);
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, ADDRESS, resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    srv.close(() => resolve());
  }));
  const record = await enumerateMysql({ address: ADDRESS, port: (srv.address() as net.AddressInfo).port, credential: credential('mysql'), timeoutMs: 3000 });
  await new Promise((r) => setTimeout(r, 200));
  t.is(record.status, 'unsupported');
  t.regex(record.notes[0]!, /clear text \(mysql_clear_password\); it was not sent/);
  t.false(received.includes(Buffer.from(PASSWORD)), 'the password never reached the server');
});
