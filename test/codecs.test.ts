/**
 * Codec tests against messages built byte by byte from the public specifications (fixtures/protocol-samples.ts).
 * MSSQL, Oracle and MongoDB have no real server here; the others are also tested against real servers in the lab.
 */
import test from 'ava';
import { ProbeError } from '../probes/core/outcome.js';
import { parseResponse as parseHttp, pageTitle } from '../probes/http/probe.js';
import { CLIENT_SSL, firstPacket, parseGreeting } from '../probes/mysql/codec.js';
import { negotiateMessage, parseChallenge, spnegoInit } from '../probes/ntlm/codec.js';
import { messageLength, parseBackendReply, SSL_REQUEST, startupMessage } from '../probes/postgres/codec.js';
import { connectionRequest, parseConnectionConfirm, tpktLength } from '../probes/rdp/codec.js';
import { framedLength, negotiateRequest, parseNegotiate, parseResponse, sessionSetupBlob } from '../probes/smb/codec.js';
import { asciiName } from '../probes/smb/probe.js';
import { parseIdentification, parseKexInit } from '../probes/ssh/codec.js';
import { SAMPLES, sshKexInit } from '../fixtures/protocol-samples.js';

test('SSH identification and KEXINIT (RFC 4253 4.2, 7.1)', (t) => {
  t.deepEqual(parseIdentification('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n'), { protocol: '2.0', software: 'OpenSSH_9.2p1', comments: 'Debian-2+deb12u10' });
  t.is(parseIdentification('HTTP/1.1 400 Bad Request'), null);
  const kex = parseKexInit(SAMPLES.sshKexInit);
  t.deepEqual(kex.kexAlgorithms, ['curve25519-sha256']);
  t.deepEqual(kex.serverHostKeyAlgorithms, ['ssh-ed25519', 'rsa-sha2-512']);
  t.deepEqual(kex.encryptionAlgorithms, ['aes128-ctr']);
  const bad = Buffer.from(SAMPLES.sshKexInit);
  bad.writeUInt32BE(0x7fffffff, 4 + 1 + 17); // first name-list claims 2 GB
  t.throws(() => parseKexInit(bad), { instanceOf: ProbeError, message: /runs past the packet/ });
  t.throws(() => parseKexInit(sshKexInit(['bad list', '', '', '', '', '', '', '', '', ''])), { message: /not printable/ });
  const long = Buffer.from(SAMPLES.sshKexInit);
  long.writeUInt32BE(35001, 0);
  t.throws(() => parseKexInit(long), { message: /out of range 5-35000/ });
});

test('MySQL HandshakeV10 and ERR_Packet', (t) => {
  const g = parseGreeting(firstPacket(SAMPLES.mysqlHandshake)!);
  t.like(g, { kind: 'handshake', protocol: 10, serverVersion: '5.5.5-10.11.19-MariaDB-0+deb12u1', threadId: 42, charset: 45, authPlugin: 'mysql_native_password' });
  t.true(g.kind === 'handshake' && (g.capabilities & CLIENT_SSL) !== 0);
  t.deepEqual(parseGreeting(firstPacket(SAMPLES.mysqlHostError)!), { kind: 'error', code: 1130, message: "Host '127.0.0.1' is not allowed to connect to this MariaDB server" });
  t.is(firstPacket(SAMPLES.mysqlHandshake.subarray(0, 10)), null, 'incomplete');
  t.throws(() => parseGreeting(Buffer.from([10, 0x41, 0x42])), { message: /unterminated server version/ });
  t.throws(() => parseGreeting(Buffer.from('SSH-2.0-x')), { message: /not a MySQL handshake/ });
});

test('PostgreSQL SSLRequest, StartupMessage, authentication and error replies', (t) => {
  t.deepEqual([...SSL_REQUEST], [0, 0, 0, 8, 4, 210, 22, 47]);
  const startup = startupMessage({ user: 'surveyor' });
  t.is(startup.readUInt32BE(0), startup.length);
  t.is(startup.readUInt32BE(4), 196608, 'protocol 3.0');
  t.is(startup.subarray(8).toString(), 'user\0surveyor\0\0');
  t.deepEqual(parseBackendReply(SAMPLES.pgAuthSasl.subarray(0, messageLength(SAMPLES.pgAuthSasl))), { kind: 'auth', method: 'sasl', mechanisms: ['SCRAM-SHA-256'] });
  const e = parseBackendReply(SAMPLES.pgError);
  t.true(e.kind === 'error' && e.fields.C === '28000' && e.fields.R === 'ClientAuthentication');
  t.throws(() => messageLength(Buffer.from([0x52, 0xff, 0xff, 0xff, 0xff])), { message: /out of range/ });
});

test('RDP X.224 negotiation ([MS-RDPBCGR] 2.2.1.1, 2.2.1.2)', (t) => {
  t.deepEqual([...connectionRequest(0x0b)], [3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 0x0b, 0, 0, 0]);
  t.is(tpktLength(SAMPLES.rdpConfirm), 19);
  t.deepEqual(parseConnectionConfirm(SAMPLES.rdpConfirm), { kind: 'response', selected: 1, flags: 0x1f });
  t.deepEqual(parseConnectionConfirm(SAMPLES.rdpFailure), { kind: 'failure', code: 5, reason: 'HYBRID_REQUIRED_BY_SERVER' });
  t.deepEqual(parseConnectionConfirm(Buffer.from([3, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0])), { kind: 'legacy' });
  t.throws(() => tpktLength(Buffer.from('HTTP')), { message: /not a TPKT/ });
});

test('NTLM NEGOTIATE out, CHALLENGE in ([MS-NLMP] 2.2.1.1, 2.2.1.2, 2.2.2.1)', (t) => {
  const n = negotiateMessage();
  t.is(n.subarray(0, 8).toString('latin1'), 'NTLMSSP\0');
  t.is(n.readUInt32LE(8), 1);
  const c = parseChallenge(spnegoInit(SAMPLES.ntlmChallenge)); // found inside any wrapping
  t.like(c, { targetName: 'CORP', nbComputerName: 'SRV01', nbDomainName: 'CORP', dnsComputerName: 'srv01.corp.example', dnsDomainName: 'corp.example', dnsTreeName: 'corp.example' });
  t.deepEqual(c.version, { major: 10, minor: 0, build: 17763, ntlmRevision: 15 });
  t.true(c.timestamp instanceof Date);
  const broken = Buffer.from(SAMPLES.ntlmChallenge);
  broken.writeUInt32LE(0xffff, 44); // target info offset far past the end
  t.throws(() => parseChallenge(broken), { message: /runs past the message/ });
});

test('SMB2 NEGOTIATE request and responses ([MS-SMB2] 2.1, 2.2.3, 2.2.4, 2.2.6)', (t) => {
  const req = negotiateRequest(0);
  t.deepEqual([...req.subarray(0, 4)], [0xfe, 0x53, 0x4d, 0x42]);
  t.is(req.readUInt16LE(64), 36, 'StructureSize');
  t.is(req.readUInt16LE(66), 5, 'five dialects');
  t.is(req.readUInt32LE(64 + 28) % 8, 0, 'negotiate contexts are 8-byte aligned');
  const framed = SAMPLES.smbNegotiateResponse;
  const n = parseNegotiate(parseResponse(framed.subarray(4, framedLength(framed))));
  t.like(n, { dialect: 0x0311, securityMode: 3, capabilities: 0x2f, serverGuid: '6c6162736d6200000000000000000000' });
  t.is(asciiName(Buffer.from(n.serverGuid, 'hex')), 'labsmb');
  t.is(asciiName(Buffer.from('0123456789abcdef0123456789abcdef', 'hex')), null);
  const setup = SAMPLES.smbSessionSetupResponse;
  const res = parseResponse(setup.subarray(4, framedLength(setup)));
  t.is(res.status, 0xc0000016);
  t.is(parseChallenge(sessionSetupBlob(res)).nbComputerName, 'SRV01');
  t.throws(() => parseResponse(Buffer.concat([Buffer.from([0xff, 0x53, 0x4d, 0x42]), Buffer.alloc(60)])), { message: /SMB1 only/ });
});

test('HTTP response head and title (RFC 9112)', (t) => {
  const r = parseHttp(SAMPLES.httpResponse);
  t.is(r.status, 200);
  t.is(r.headers.server, 'nginx/1.22.1');
  t.is(pageTitle(r.body), 'Lab page');
  t.throws(() => parseHttp(Buffer.from('HTTP/1.1 200 OK\r\nServer: x')), { message: /ended inside its header/ });
  t.throws(() => parseHttp(Buffer.from('SSH-2.0-x\r\n')), { message: /not an HTTP response/ });
});
