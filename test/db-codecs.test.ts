/**
 * MSSQL, MongoDB and Oracle have no server that can run here, so these tests use byte sequences built from the
 * public specifications ([MS-TDS], the MongoDB wire protocol and BSON spec, the commonly documented TNS layout),
 * replayed by a loopback server to the real probes.
 */
import test, { ExecutionContext } from 'ava';
import { createServer } from 'node:net';
import { DB_SAMPLES } from '../fixtures/protocol-samples.js';
import { runProbe } from '../probes/core/probe.js';
import { decode, encode } from '../probes/mongodb/bson.js';
import { messageLength, opMsg, parseOpMsgReply, releaseOfWire } from '../probes/mongodb/codec.js';
import { parsePreloginResponse, preloginRequest, tdsLength } from '../probes/mssql/codec.js';
import { connectPacket, parseTnsReply, tnsLength, vsnnum } from '../probes/oracle/codec.js';
import { PROBES } from '../probes/registry.js';
import { builtInRules } from '../profiles/rules.js';
import { profilePort } from '../profiles/fingerprint.js';

/** A server that answers the first bytes it receives with `reply`. */
async function replay(t: ExecutionContext, reply: Buffer): Promise<number> {
  const server = createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  return (server.address() as { port: number }).port;
}

test('MSSQL PRELOGIN request layout and response parsing ([MS-TDS] 2.2.6.5)', (t) => {
  const req = preloginRequest();
  t.is(req[0], 0x12, 'PRELOGIN packet type');
  t.is(req.readUInt16BE(2), req.length);
  t.is(req[8], 0x00, 'first option is VERSION');
  t.deepEqual(parsePreloginResponse(DB_SAMPLES.mssqlPreloginResponse.subarray(0, tdsLength(DB_SAMPLES.mssqlPreloginResponse))), {
    version: { major: 15, minor: 0, build: 2000, subBuild: 0 }, encryption: 'off', instance: '',
  });
});

test('MSSQL probe against a replayed PRELOGIN response: SQL Server 2019', async (t) => {
  const port = await replay(t, DB_SAMPLES.mssqlPreloginResponse);
  const outcome = await runProbe(PROBES.mssql, '127.0.0.1', port, { timeoutMs: 2000 });
  t.is(outcome.status, 'success', outcome.error);
  t.like(profilePort(1433, [outcome], builtInRules()).service, { service: 'mssql', product: 'Microsoft SQL Server 2019', version: '15.0.2000' });
});

test('BSON and OP_MSG round-trip; hello reply parsed; wire versions map to releases', (t) => {
  t.deepEqual(decode(encode({ hello: 1, $db: 'admin' })), { hello: 1, $db: 'admin' });
  const request = opMsg(5, { hello: 1, $db: 'admin' });
  t.is(request.readInt32LE(0), request.length);
  t.is(request.readInt32LE(12), 2013);
  const reply = parseOpMsgReply(DB_SAMPLES.mongoHelloReply.subarray(0, messageLength(DB_SAMPLES.mongoHelloReply)));
  t.like(reply, { isWritablePrimary: true, maxWireVersion: 21, setName: 'rs0', ok: 1 });
  t.is(releaseOfWire(21), '7.0');
  t.is(releaseOfWire(25), '8.0');
  t.is(releaseOfWire(3), null);
});

test('MongoDB probe against a replayed hello reply: release and replica set', async (t) => {
  const port = await replay(t, DB_SAMPLES.mongoHelloReply);
  const outcome = await runProbe(PROBES.mongodb, '127.0.0.1', port, { timeoutMs: 2000 });
  t.is(outcome.status, 'success', outcome.error);
  t.true(outcome.evidence.some((e) => e.kind === 'attribute' && e.name === 'mongodb.replica-set' && e.value === 'rs0'));
  t.like(profilePort(27017, [outcome], builtInRules()).service, { service: 'mongodb', product: 'MongoDB', version: '7.0 or later' });
});

test('Oracle TNS CONNECT layout and a listener REFUSE with its VSNNUM', async (t) => {
  const connect = connectPacket();
  t.is(connect.readUInt16BE(0), connect.length);
  t.is(connect[4], 1, 'CONNECT');
  t.true(connect.toString('latin1').endsWith('(CONNECT_DATA=(COMMAND=version))'));
  t.is(vsnnum(318767104), '19.0.0.0.0');
  t.like(parseTnsReply(DB_SAMPLES.tnsRefuse.subarray(0, tnsLength(DB_SAMPLES.tnsRefuse))), { type: 'REFUSE', version: '19.0.0.0.0', error: '0' });
  const port = await replay(t, DB_SAMPLES.tnsRefuse);
  const outcome = await runProbe(PROBES['oracle-tns'], '127.0.0.1', port, { timeoutMs: 2000 });
  t.is(outcome.status, 'success', outcome.error);
  t.like(profilePort(1521, [outcome], builtInRules()).service, { service: 'oracle-tns', product: 'Oracle TNS listener', version: '19.0.0.0.0' });
});
