/**
 * NTLMv2 ([MS-NLMP]) and its SPNEGO wrapping: MD4 and RC4 against RFC 1320 and RFC 6229, the [MS-NLMP] 4.2 known
 * answers byte for byte, an AUTHENTICATE_MESSAGE checked by a server written here from the spec's formulas (its own
 * RC4, HMAC and parsing) and by Samba's own NTLMSSP and SPNEGO servers (ntlm_auth, when installed), session
 * security round trips in both directions, and the decoders under fuzz.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { createInterface } from 'node:readline';
import { inspect } from 'node:util';
import { COMMON, MD4_SUITE, RC4_ROWS, V1, V2 } from '../fixtures/ntlm-vectors.js';
import { SAMPLES } from '../fixtures/protocol-samples.js';
import { NTLM_FUZZ_TARGETS, SPNEGO_HINT } from '../fuzz/ntlm.js';
import { fuzzTests } from './helpers/fuzz.js';
import { ProbeError } from '../probes/core/outcome.js';
import { FLAGS } from '../probes/ntlm/codec.js';
import { InputError } from '../scanner/errors.js';
import {
  buildNegotiate, CLIENT_FLAGS, encryptSessionKey, lmowfv2, lmv2Response, md4, negTokenInit, negTokenResp, NtlmClient,
  NtlmError, NtlmSession, NTLMSSP_MECH, NTLMSSP_MECH_TYPES, ntlmv2ClientChallenge, ntlmv2Response, ntowfv1, ntowfv2,
  parseChallengeMessage, parseNegTokenInit, parseNegTokenResp, Rc4, rc4k, sealKey, signKey, SpnegoNtlmClient,
  unwrapServerToken, windowsUpper,
} from '../enum/ntlm/index.js';

const hex = (b: Buffer): string => b.toString('hex');

// --- The server of these tests: written from [MS-NLMP] 3.2.5, 3.3.2, 3.4 without the code under test

function testRc4(key: Buffer): (data: Buffer) => Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) % 256;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  let i = 0;
  let j = 0;
  return (data) => Buffer.from(data.map((byte) => {
    i = (i + 1) % 256;
    j = (j + s[i]!) % 256;
    [s[i], s[j]] = [s[j]!, s[i]!];
    return byte ^ s[(s[i]! + s[j]!) % 256]!;
  }));
}
const hmac = (key: Buffer, ...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), createHmac('md5', key)).digest();
const md5 = (...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('md5')).digest();

interface Accepted {
  readonly exportedSessionKey: Buffer;
  readonly flags: number;
  readonly user: string;
  readonly domain: string;
  readonly workstation: string;
  readonly pairs: Map<number, Buffer>;
  readonly lm: Buffer;
  readonly time: Buffer;
}

/** [MS-NLMP] 3.2.5.1.2: the server's checks of an AUTHENTICATE_MESSAGE, from the stored NT hash. */
function serverAccepts(ntHash: Buffer, negotiate: Buffer, challenge: Buffer, auth: Buffer): Accepted {
  const field = (at: number): Buffer => auth.subarray(auth.readUInt32LE(at + 4), auth.readUInt32LE(at + 4) + auth.readUInt16LE(at));
  if (auth.toString('latin1', 0, 8) !== 'NTLMSSP\0' || auth.readUInt32LE(8) !== 3) throw new Error('not an AUTHENTICATE_MESSAGE');
  const [lm, nt, domain, user, workstation, encryptedKey] = [12, 20, 28, 36, 44, 52].map(field) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const flags = auth.readUInt32LE(60);
  const serverChallenge = challenge.subarray(24, 32);
  // NTOWFv2 with the user upper-cased, the domain as sent
  const key = hmac(ntHash, Buffer.from(user.toString('utf16le').toUpperCase() + domain.toString('utf16le'), 'utf16le'));
  const proof = nt.subarray(0, 16);
  const temp = nt.subarray(16);
  if (!hmac(key, serverChallenge, temp).equals(proof)) throw new Error('NTProofStr does not verify: wrong password');
  const pairs = new Map<number, Buffer>();
  for (let at = 28; ;) {
    const id = temp.readUInt16LE(at);
    const length = temp.readUInt16LE(at + 2);
    if (id === 0) break;
    pairs.set(id, temp.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  const sessionBaseKey = hmac(key, proof);
  const exportedSessionKey = flags & FLAGS.KEY_EXCH ? testRc4(sessionBaseKey)(encryptedKey) : sessionBaseKey;
  // The MIC, present because MsvAvFlags says so (bit 0x2)
  if (((pairs.get(6)?.readUInt32LE(0) ?? 0) & 2) === 0) throw new Error('no MIC announced');
  const zeroed = Buffer.from(auth);
  zeroed.fill(0, 72, 88);
  if (!hmac(exportedSessionKey, negotiate, challenge, zeroed).equals(auth.subarray(72, 88))) throw new Error('MIC does not verify');
  return {
    exportedSessionKey, flags, pairs, lm, time: temp.subarray(8, 16),
    user: user.toString('utf16le'), domain: domain.toString('utf16le'), workstation: workstation.toString('utf16le'),
  };
}

/** [MS-NLMP] 3.4.4.2 and 3.4.3 for the server-to-client direction, with the test's own RC4 and HMAC. */
function serverDirection(exportedSessionKey: Buffer) {
  const signingKey = md5(exportedSessionKey, Buffer.from('session key to server-to-client signing key magic constant\0', 'latin1'));
  const handle = testRc4(md5(exportedSessionKey, Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1')));
  let seq = 0;
  const sign = (message: Buffer): Buffer => {
    const seqBytes = Buffer.alloc(4);
    seqBytes.writeUInt32LE(seq++, 0);
    return Buffer.concat([Buffer.from([1, 0, 0, 0]), handle(hmac(signingKey, seqBytes, message).subarray(0, 8)), seqBytes]);
  };
  return { sign, seal: (message: Buffer) => ({ sealed: handle(message), signature: sign(message) }) };
}

/** A CHALLENGE_MESSAGE like a Windows or Samba server's, with a timestamp (SAMPLES), flags changed when asked. */
function challengeWith(flags?: number): Buffer {
  const c = Buffer.from(SAMPLES.ntlmChallenge);
  if (flags !== undefined) c.writeUInt32LE(flags >>> 0, 20);
  return c;
}

/** The sample challenge with NTLMSSP_NEGOTIATE_SEAL added, for the sealing tests. */
const SEALING = challengeWith(SAMPLES.ntlmChallenge.readUInt32LE(20) | FLAGS.SEAL);

const deterministic = { randomBytes: (n: number) => Buffer.alloc(n, n === 8 ? 0xaa : 0x55), now: () => new Date(Date.UTC(1601, 0, 1)) };
const credentials = { domain: COMMON.domain, user: COMMON.user, workstation: COMMON.workstation };

// --- Primitives

test('MD4 passes the RFC 1320 A.5 test suite', (t) => {
  for (const [input, digest] of MD4_SUITE) t.is(hex(md4(Buffer.from(input, 'latin1'))), digest, JSON.stringify(input));
  // every padding boundary: 55, 56 and 64 bytes need one or two blocks
  for (const n of [55, 56, 63, 64, 65, 119, 120]) t.is(md4(Buffer.alloc(n, 0x61)).length, 16);
});

test('RC4 gives the RFC 6229 keystream rows, continuously across calls of any size', (t) => {
  for (const row of RC4_ROWS) {
    const keystream = new Rc4(Buffer.from(row.key, 'hex')).update(Buffer.alloc(row.offset + 16));
    t.is(hex(keystream.subarray(row.offset)), row.keystream, `${row.key} @${row.offset}`);
  }
  const whole = new Rc4(Buffer.from(RC4_ROWS[4]!.key, 'hex')).update(Buffer.alloc(4112));
  const pieces = new Rc4(Buffer.from(RC4_ROWS[4]!.key, 'hex'));
  const joined = Buffer.concat([1, 15, 0, 100, 1420, 2576].map((n) => pieces.update(Buffer.alloc(n))));
  t.true(joined.equals(whole));
  // clone and restore: a snapshot replays the same keystream
  const a = new Rc4(Buffer.from('key'));
  a.update(Buffer.alloc(10));
  const saved = a.clone();
  const next = a.update(Buffer.alloc(8));
  a.restore(saved);
  t.true(a.update(Buffer.alloc(8)).equals(next));
  t.throws(() => new Rc4(Buffer.alloc(0)), { instanceOf: RangeError });
});

test('[MS-NLMP] 4.2.2 values that exercise MD4 and RC4 (NTOWFv1, session base key, RC4K, sealing)', (t) => {
  t.is(hex(ntowfv1(COMMON.password)), hex(V1.ntowfv1), '4.2.2.1.2 NTOWFv1');
  t.is(hex(md4(V1.ntowfv1)), hex(V1.sessionBaseKey), '4.2.2.1.3 SessionBaseKey = MD4(NTOWFv1)');
  t.is(hex(rc4k(V1.sessionBaseKey, COMMON.randomSessionKey)), hex(V1.encryptedSessionKey), '4.2.2.2.3 encrypted session key');
  t.is(hex(rc4k(COMMON.randomSessionKey, COMMON.plaintext)), hex(V1.sealedPlaintext), '4.2.2.4 sealed data');
});

// --- [MS-NLMP] 4.2.4 NTLMv2

test('[MS-NLMP] 4.2.4.1 NTOWFv2/LMOWFv2, temp, session base key', (t) => {
  const key = ntowfv2(ntowfv1(COMMON.password), COMMON.user, COMMON.domain);
  t.is(hex(key), hex(V2.responseKey), '4.2.4.1.1 ResponseKeyNT');
  t.is(hex(lmowfv2(V1.ntowfv1, COMMON.user, COMMON.domain)), hex(V2.responseKey), '4.2.4.1.1 ResponseKeyLM');
  const temp = ntlmv2ClientChallenge(COMMON.time, COMMON.clientChallenge, V2.targetInfo);
  t.is(hex(temp), hex(V2.temp), '4.2.4.1.3 temp');
  const r = ntlmv2Response(key, COMMON.serverChallenge, temp);
  t.is(hex(r.sessionBaseKey), hex(V2.sessionBaseKey), '4.2.4.1.2 SessionBaseKey');
});

test('[MS-NLMP] 4.2.4.2 LMv2 and NTLMv2 responses, encrypted session key', (t) => {
  t.is(hex(lmv2Response(V2.responseKey, COMMON.serverChallenge, COMMON.clientChallenge)), hex(V2.lmv2Response), '4.2.4.2.1');
  const r = ntlmv2Response(V2.responseKey, COMMON.serverChallenge, V2.temp);
  t.is(hex(r.ntProofStr), hex(V2.ntProofStr), '4.2.4.2.2 NTProofStr');
  t.is(hex(r.ntChallengeResponse), hex(V2.ntProofStr) + hex(V2.temp), '4.2.4.2.2 NTLMv2_RESPONSE = NTProofStr || temp');
  t.is(hex(encryptSessionKey(r.sessionBaseKey, COMMON.randomSessionKey)), hex(V2.encryptedSessionKey), '4.2.4.2.3');
});

test('[MS-NLMP] 4.2.4.3 CHALLENGE_MESSAGE parses to the spec values', (t) => {
  const c = parseChallengeMessage(V2.challenge);
  t.is(c.flags, V2.flags);
  t.is(hex(c.serverChallenge), hex(COMMON.serverChallenge));
  t.is(hex(c.targetInfo), hex(V2.targetInfo));
  t.deepEqual(c.pairs.map((p) => [p.id, p.value.toString('utf16le')]), [[2, 'Domain'], [1, 'Server']]);
  t.is(c.timestamp, undefined);
  t.like(c.server, { targetName: 'Server', nbDomainName: 'Domain', nbComputerName: 'Server' });
  t.deepEqual(c.server.version, { major: 6, minor: 0, build: 6000, ntlmRevision: 15 });
});

test('[MS-NLMP] 4.2.4.4 GSS_WrapEx: keys, sealed data and signature at sequence number 0', (t) => {
  t.is(hex(sealKey(V2.flags, COMMON.randomSessionKey, 'client')), hex(V2.clientSealKey), 'SEALKEY');
  t.is(hex(signKey(COMMON.randomSessionKey, 'client')), hex(V2.clientSignKey), 'SIGNKEY');
  const session = new NtlmSession(COMMON.randomSessionKey, V2.flags, 'client');
  const { sealed, signature } = session.seal(COMMON.plaintext);
  t.is(hex(sealed), hex(V2.sealed));
  t.is(hex(signature), hex(V2.signature));
  t.is(hex(hmac(V2.clientSignKey, Buffer.alloc(4), COMMON.plaintext).subarray(0, 8)), hex(V2.checksum), 'the checksum before RC4');
  t.is(session.sendSequence, 1);
});

test('NEGOTIATE_MESSAGE: literal bytes with the session-security flags (2.2.1.1)', (t) => {
  t.is(CLIENT_FLAGS, 0xe2888235);
  t.is(hex(buildNegotiate()), '4e544c4d53535000' + '01000000' + '358288e2' + '0'.repeat(32) + '0a0000000000000f');
  t.is(hex(new NtlmClient({ ...credentials, password: 'x' }).negotiate()), hex(buildNegotiate()));
});

test('the client over the 4.2.4.3 challenge: spec LMv2 (no server timestamp), names, flags, key exchange', (t) => {
  const client = new NtlmClient({ ...credentials, password: COMMON.password, ...deterministic });
  const auth = client.authenticate(V2.challenge);
  const ok = serverAccepts(V1.ntowfv1, client.negotiate(), V2.challenge, auth.message);
  t.is(hex(ok.lm), hex(V2.lmv2Response), 'LMv2 as in 4.2.4.2.1');
  t.is(hex(ok.time), '0000000000000000', 'the client clock (here 1601-01-01) when the server sends no timestamp');
  t.like(ok, { user: 'User', domain: 'Domain', workstation: 'COMPUTER', flags: 0xe2888231 });
  t.is(hex(auth.sessionKey), hex(COMMON.randomSessionKey), 'a random ExportedSessionKey under key exchange');
  t.is(hex(ok.exportedSessionKey), hex(COMMON.randomSessionKey));
  // the server's pairs in order, then MsvAvFlags (MIC present), zero channel bindings
  t.deepEqual([...ok.pairs.keys()], [2, 1, 6, 10]);
  t.is(ok.pairs.get(6)!.readUInt32LE(0), 2);
  t.is(hex(ok.pairs.get(10)!), '0'.repeat(32));
  t.is(auth.message.readUInt16LE(52), 16, 'EncryptedRandomSessionKey present');
});

test('a server written from the spec accepts our AUTHENTICATE and MIC; a wrong password is refused', (t) => {
  const challenge = SAMPLES.ntlmChallenge;
  const client = new NtlmClient({ ...credentials, password: COMMON.password, targetName: 'cifs/srv01.corp.example' });
  const auth = client.authenticate(challenge);
  const ok = serverAccepts(V1.ntowfv1, client.negotiate(), challenge, auth.message);
  t.true(ok.exportedSessionKey.equals(auth.sessionKey));
  t.is(hex(ok.lm), '0'.repeat(48), 'Z(24) when the server sent MsvAvTimestamp (3.1.5.1.2)');
  t.is(hex(ok.time), hex(parseChallengeMessage(challenge).timestamp!), "the server's timestamp is echoed");
  t.is(ok.pairs.get(9)!.toString('utf16le'), 'cifs/srv01.corp.example', 'MsvAvTargetName');
  t.deepEqual([...ok.pairs.keys()], [2, 1, 4, 3, 5, 7, 6, 10, 9]);
  // fresh randomness each time: another run gives another key and another response
  const again = client.authenticate(challenge);
  t.false(again.sessionKey.equals(auth.sessionKey));
  t.notThrows(() => serverAccepts(V1.ntowfv1, client.negotiate(), challenge, again.message));
  const wrong = new NtlmClient({ ...credentials, password: 'Passw0rd' }).authenticate(challenge);
  t.throws(() => serverAccepts(V1.ntowfv1, client.negotiate(), challenge, wrong.message), { message: /wrong password/ });
  // a flipped bit anywhere the MIC covers is caught by it
  const tampered = Buffer.from(auth.message);
  tampered[tampered.length - 1]! ^= 1;
  t.throws(() => serverAccepts(V1.ntowfv1, client.negotiate(), challenge, tampered));
});

test('a server without key exchange: the session key is the session base key', (t) => {
  const challenge = challengeWith(SAMPLES.ntlmChallenge.readUInt32LE(20) & ~FLAGS.KEY_EXCH);
  const client = new NtlmClient({ ...credentials, password: COMMON.password });
  const auth = client.authenticate(challenge);
  t.is(auth.flags & FLAGS.KEY_EXCH, 0);
  t.is(auth.message.readUInt16LE(52), 0, 'no EncryptedRandomSessionKey');
  t.true(serverAccepts(V1.ntowfv1, client.negotiate(), challenge, auth.message).exportedSessionKey.equals(auth.sessionKey));
});

test('pass-the-hash: the NT hash, raw or as LM:NT text, authenticates like the password', (t) => {
  const nt = hex(V1.ntowfv1);
  const fromPassword = new NtlmClient({ ...credentials, password: COMMON.password, ...deterministic }).authenticate(SAMPLES.ntlmChallenge);
  for (const ntHash of [V1.ntowfv1, nt, `aad3b435b51404eeaad3b435b51404ee:${nt}`, nt.toUpperCase(), { reveal: () => nt }]) {
    const auth = new NtlmClient({ ...credentials, ntHash, ...deterministic }).authenticate(SAMPLES.ntlmChallenge);
    t.true(auth.message.equals(fromPassword.message));
  }
});

test('credentials: errors name the option, never the secret; inspect and JSON show no secret', (t) => {
  const secret = 'S3cret-Passw0rd';
  const nt = hex(ntowfv1(secret));
  const bad = [
    { ...credentials },
    { ...credentials, password: secret, ntHash: nt },
    { ...credentials, ntHash: nt.slice(1) + 'g' },
    { ...credentials, ntHash: Buffer.alloc(15) },
    { ...credentials, user: '', password: secret },
  ];
  for (const options of bad) {
    const err = t.throws(() => new NtlmClient(options), { instanceOf: InputError });
    t.false(err!.message.includes(secret) || err!.message.includes(nt.slice(1)), err!.message);
  }
  const client = new NtlmClient({ ...credentials, password: secret });
  for (const shown of [inspect(client, { showHidden: true, depth: 9 }), JSON.stringify(client), String(client)]) {
    t.false(shown.includes(secret) || shown.includes(nt), shown);
  }
  const auth = client.authenticate(SAMPLES.ntlmChallenge);
  t.false(inspect(auth.session, { showHidden: true, depth: 9 }).includes(hex(auth.sessionKey)));
});

test('Windows upper-casing of the user name keeps its length', (t) => {
  t.is(windowsUpper('straße'), 'STRAßE');
  t.is(windowsUpper('iıé'), 'IIÉ');
  t.is(windowsUpper('a\ud801\udc28b'), 'A\ud801\udc28B');
});

test('never NTLMv1: a challenge without extended session security or target info is refused', (t) => {
  const base = SAMPLES.ntlmChallenge.readUInt32LE(20);
  for (const flags of [base & ~FLAGS.EXTENDED_SESSIONSECURITY, base & ~FLAGS.TARGET_INFO]) {
    const err = t.throws(() => new NtlmClient({ ...credentials, password: 'x' }).authenticate(challengeWith(flags)), { instanceOf: NtlmError });
    t.is(err!.code, 'ntlmv1-only');
    t.is(err!.status, 'unsupported');
    t.true(err instanceof ProbeError);
  }
  const noInfo = challengeWith();
  noInfo.writeUInt16LE(0, 40);
  t.is(t.throws(() => parseChallengeMessage(noInfo), { instanceOf: NtlmError })!.code, 'ntlmv1-only');
  t.throws(() => parseChallengeMessage(challengeWith(base & ~FLAGS.UNICODE)), { message: /Unicode/ });
});

test('malformed CHALLENGE_MESSAGEs: each a protocol-error NtlmError', (t) => {
  const cases: Array<[string, Buffer]> = [
    ['short', V2.challenge.subarray(0, 47)],
    ['signature', Buffer.concat([Buffer.from('NTLMSSQ\0'), V2.challenge.subarray(8)])],
    ['type', (() => { const c = Buffer.from(V2.challenge); c.writeUInt32LE(3, 8); return c; })()],
    ['target info past the end', (() => { const c = Buffer.from(V2.challenge); c.writeUInt32LE(0xfffffff0, 44); return c; })()],
    ['no EOL', (() => { const c = Buffer.from(V2.challenge.subarray(0, V2.challenge.length - 4)); c.writeUInt16LE(32, 40); return c; })()],
    ['AV pair past the info', (() => { const c = Buffer.from(V2.challenge); c.writeUInt16LE(0x200, 68 + 2); return c; })()],
  ];
  for (const [name, bytes] of cases) {
    const err = t.throws(() => parseChallengeMessage(bytes), { instanceOf: NtlmError }, name);
    t.is(err!.status, 'protocol-error', name);
  }
});

// --- Session security

test('sign, seal, verify, unseal in both directions with sequence numbers; tampering rejected, state kept', (t) => {
  const client = new NtlmClient({ ...credentials, password: COMMON.password });
  const auth = client.authenticate(SEALING);
  const accepted = serverAccepts(V1.ntowfv1, client.negotiate(), SEALING, auth.message);
  const server = new NtlmSession(accepted.exportedSessionKey, accepted.flags, 'server');
  const c = auth.session;

  for (let i = 0; i < 3; i++) {
    const stub = Buffer.from(`request ${i}`);
    const { sealed, signature } = c.seal(stub);
    t.false(sealed.equals(stub));
    t.is(signature.readUInt32LE(12), i, 'SeqNum');
    t.true(server.unseal(sealed, signature).equals(stub));
    const reply = Buffer.from(`reply ${i}`);
    const back = server.seal(reply);
    t.true(c.unseal(back.sealed, back.signature).equals(reply));
  }
  const message = Buffer.from('integrity only');
  server.verify(message, c.sign(message));
  t.deepEqual([c.sendSequence, c.receiveSequence, server.sendSequence, server.receiveSequence], [4, 3, 3, 4]);

  // tampered signature, tampered data, a replay, one out of sequence: each refused, then the genuine one verifies
  const genuine = server.seal(Buffer.from('genuine'));
  const badSignature = Buffer.from(genuine.signature);
  badSignature[5]! ^= 0x01;
  const badData = Buffer.from(genuine.sealed);
  badData[0]! ^= 0x80;
  const outOfSequence = Buffer.from(genuine.signature);
  outOfSequence.writeUInt32LE(9, 12);
  for (const [sealed, signature] of [[genuine.sealed, badSignature], [badData, genuine.signature], [genuine.sealed, outOfSequence], [genuine.sealed, genuine.signature.subarray(0, 15)]] as const) {
    const err = t.throws(() => c.unseal(sealed, signature), { instanceOf: NtlmError });
    t.is(err!.code, 'bad-signature');
    t.is(c.receiveSequence, 3);
  }
  t.is(c.unseal(genuine.sealed, genuine.signature).toString(), 'genuine');
  t.throws(() => c.unseal(genuine.sealed, genuine.signature), { instanceOf: NtlmError }, 'a replay');
});

test('the server-to-client direction matches the spec formulas computed independently', (t) => {
  const client = new NtlmClient({ ...credentials, password: COMMON.password });
  const auth = client.authenticate(SEALING);
  const independent = serverDirection(auth.sessionKey);
  const first = independent.seal(Buffer.from('sealed reply'));
  t.is(auth.session.unseal(first.sealed, first.signature).toString(), 'sealed reply');
  const signed = Buffer.from('signed reply');
  t.notThrows(() => auth.session.verify(signed, independent.sign(signed)));
  // and what the client sends is what the independent formulas predict for the other direction
  const mirror = new NtlmSession(auth.sessionKey, auth.flags, 'server');
  const out = auth.session.seal(Buffer.from('ping'));
  t.is(mirror.unseal(out.sealed, out.signature).toString(), 'ping');
});

test('DCE/RPC privacy: seal the stub, sign the whole PDU', (t) => {
  const key = Buffer.alloc(16, 7);
  const c = new NtlmSession(key, CLIENT_FLAGS, 'client');
  const s = new NtlmSession(key, CLIENT_FLAGS, 'server');
  const header = Buffer.from('HDR:');
  const stub = Buffer.from('stub data');
  const { sealed, signature } = c.seal(stub, Buffer.concat([header, stub]));
  t.true(s.unseal(sealed, signature, (plain) => Buffer.concat([header, plain])).equals(stub));
  const other = c.seal(stub, Buffer.concat([header, stub]));
  t.throws(() => s.unseal(other.sealed, other.signature, (plain) => Buffer.concat([Buffer.from('HDX:'), plain])), { instanceOf: NtlmError });
});

test('sealing needs NTLMSSP_NEGOTIATE_SEAL; session security needs extended session security', (t) => {
  const signOnly = new NtlmSession(Buffer.alloc(16), CLIENT_FLAGS & ~FLAGS.SEAL);
  t.is(t.throws(() => signOnly.seal(Buffer.from('x')), { instanceOf: NtlmError })!.code, 'not-negotiated');
  t.is(signOnly.sign(Buffer.from('x')).length, 16);
  t.throws(() => new NtlmSession(Buffer.alloc(16), CLIENT_FLAGS & ~FLAGS.EXTENDED_SESSIONSECURITY), { instanceOf: NtlmError });
});

// --- SPNEGO

test('SPNEGO NegTokenInit: GSS framing, SPNEGO OID, NTLMSSP mech, the NEGOTIATE (literal prefix)', (t) => {
  const negotiate = buildNegotiate();
  const token = negTokenInit(negotiate);
  t.is(hex(token.subarray(0, 10)), '6048' + '06062b0601050502');
  t.is(hex(NTLMSSP_MECH_TYPES), '300c060a2b06010401823702020a');
  const parsed = parseNegTokenInit(token);
  t.deepEqual(parsed.mechTypes, [NTLMSSP_MECH]);
  t.true(parsed.mechToken!.equals(negotiate));
  // the hint a Windows SMB2 NEGOTIATE response carries ([MS-SPNG] 2.2.1 NegTokenInit2 with negHints)
  const hint = parseNegTokenInit(SPNEGO_HINT);
  t.deepEqual(hint.mechTypes, ['1.2.840.48018.1.2.2', '1.2.840.113554.1.2.2', NTLMSSP_MECH]);
  t.is(hint.mechToken, undefined);
});

test('SPNEGO NegTokenResp: literal bytes in and out', (t) => {
  // negState accept-incomplete, supportedMech NTLMSSP, responseToken 01 02 03
  const server = Buffer.from('a11c301aa0030a0101a10c060a2b06010401823702020aa2050403010203', 'hex');
  t.deepEqual(parseNegTokenResp(server), { negState: 'accept-incomplete', supportedMech: NTLMSSP_MECH, responseToken: Buffer.from([1, 2, 3]) });
  t.true(negTokenResp({ negState: 'accept-incomplete', supportedMech: NTLMSSP_MECH, responseToken: Buffer.from([1, 2, 3]) }).equals(server));
  t.is(hex(negTokenResp({ responseToken: Buffer.from([9]), mechListMic: Buffer.from([8, 7]) })), 'a10d300ba2030401 09a3040402 0807'.replace(/ /g, ''));
  t.deepEqual(parseNegTokenResp(Buffer.from('a1073005a0030a0100', 'hex')), { negState: 'accept-completed' });
  // a raw NTLMSSP answer (no SPNEGO) is taken as the response token
  t.true(unwrapServerToken(V2.challenge).responseToken!.equals(V2.challenge));
  t.throws(() => unwrapServerToken(negTokenResp({ supportedMech: '1.2.840.113554.1.2.2', responseToken: Buffer.from([1]) })), { message: /1\.2\.840\.113554\.1\.2\.2/ });
});

test('SPNEGO reader: malformed DER is a protocol-error NtlmError', (t) => {
  const cases = [
    'a180', // indefinite length
    'a185ffffffffff', // 5-byte length
    'a10530', // value past the end
    'a1073005a0030a01', // truncated inside
    'a1073005a0030a010000', // a byte after the token
    'a10c300aa10306012aa0030a0101', // fields out of order
    'a1073005a0030a0109', // negState 9
    'a1073005a003020101', // negState not ENUMERATED
    'a1063004a1020600', // empty OID
    '1f00', // high tag number
  ];
  for (const c of cases) {
    const err = t.throws(() => parseNegTokenResp(Buffer.from(c, 'hex')), { instanceOf: NtlmError }, c);
    t.is(err!.status, 'protocol-error', c);
  }
  t.throws(() => parseNegTokenInit(Buffer.from('6008060200000a0000', 'hex')), { instanceOf: NtlmError });
});

test('SPNEGO end to end: AUTHENTICATE with mechListMIC, the server checks both and answers with its own', (t) => {
  const client = new SpnegoNtlmClient({ ...credentials, password: COMMON.password });
  const init = parseNegTokenInit(client.initialToken());
  const negotiate = init.mechToken!;
  const challenge = SAMPLES.ntlmChallenge;
  const { token, auth } = client.respond(negTokenResp({ negState: 'accept-incomplete', supportedMech: NTLMSSP_MECH, responseToken: challenge }));
  const resp = parseNegTokenResp(token);
  t.is(resp.negState, undefined);
  const accepted = serverAccepts(V1.ntowfv1, negotiate, challenge, resp.responseToken!);
  const server = new NtlmSession(accepted.exportedSessionKey, accepted.flags, 'server');
  t.notThrows(() => server.verify(NTLMSSP_MECH_TYPES, resp.mechListMic!), 'the mechListMIC signs the DER mechTypes');
  t.true(auth.sessionKey.equals(accepted.exportedSessionKey));
  t.notThrows(() => client.finish(negTokenResp({ negState: 'accept-completed', mechListMic: server.sign(NTLMSSP_MECH_TYPES) })));

  // a forged final mechListMIC, or a reject, fails the authentication
  const second = new SpnegoNtlmClient({ ...credentials, password: COMMON.password });
  second.respond(negTokenResp({ negState: 'accept-incomplete', responseToken: challenge }));
  t.is(t.throws(() => second.finish(negTokenResp({ negState: 'accept-completed', mechListMic: Buffer.alloc(16, 1) })), { instanceOf: NtlmError })!.code, 'bad-signature');
  t.is(t.throws(() => second.finish(negTokenResp({ negState: 'reject' })), { instanceOf: ProbeError })!.status, 'auth-failed');
  t.is(t.throws(() => new SpnegoNtlmClient({ ...credentials, password: 'x' }).respond(negTokenResp({ negState: 'reject' })), { instanceOf: ProbeError })!.status, 'auth-failed');
});

// --- Samba's own NTLMSSP and SPNEGO servers: ntlm_auth as a stdio helper checking a local password (no network)

const NTLM_AUTH = spawnSync('ntlm_auth', ['--version'], { encoding: 'utf8' }).status === 0;
const samba = NTLM_AUTH ? test : test.skip;

/** One ntlm_auth helper (squid-2.5-ntlmssp or gss-spnego): "YR"/"KK" lines in, "TT"/"AF"/"NA" lines out. */
function ntlmAuth(protocol: string) {
  const helper = spawn('ntlm_auth', [`--helper-protocol=${protocol}`, '--configfile=/dev/null',
    `--username=${COMMON.user}`, `--domain=${COMMON.domain}`, `--password=${COMMON.password}`], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: helper.stdout })[Symbol.asyncIterator]();
  return {
    async ask(verb: string, token: Buffer): Promise<{ verb: string; token?: Buffer; rest: string }> {
      helper.stdin.write(`${verb} ${token.toString('base64')}\n`);
      const line = (await lines.next()).value as string;
      const [answer = '', first = '', ...rest] = line.split(' ');
      const token64 = answer === 'TT' || (answer === 'AF' && protocol === 'gss-spnego') ? first : undefined;
      return { verb: answer, ...(token64 && token64 !== '*' ? { token: Buffer.from(token64, 'base64') } : {}), rest: [first, ...rest].join(' ') };
    },
    close: () => helper.kill(),
  };
}

samba('Samba 4 (ntlm_auth) accepts our AUTHENTICATE and checks its MIC; a wrong password or a bad MIC is refused', async (t) => {
  const cases: Array<[string, NtlmClient, (m: Buffer) => void, string]> = [
    ['password', new NtlmClient({ ...credentials, password: COMMON.password }), () => {}, 'AF'],
    ['NT hash', new NtlmClient({ ...credentials, ntHash: hex(V1.ntowfv1) }), () => {}, 'AF'],
    ['wrong password', new NtlmClient({ ...credentials, password: 'Passw0rd' }), () => {}, 'NA'],
    ['tampered MIC', new NtlmClient({ ...credentials, password: COMMON.password }), (m) => { m[75]! ^= 1; }, 'NA'],
  ];
  for (const [name, client, spoil, expected] of cases) {
    const helper = ntlmAuth('squid-2.5-ntlmssp');
    t.teardown(helper.close);
    const challenge = await helper.ask('YR', client.negotiate());
    t.is(challenge.verb, 'TT', name);
    const auth = client.authenticate(challenge.token!);
    t.truthy(auth.challenge.timestamp, 'Samba sends MsvAvTimestamp, so the MIC is expected');
    spoil(auth.message);
    const result = await helper.ask('KK', auth.message);
    t.is(result.verb, expected, `${name}: ${result.verb} ${result.rest}`);
    if (expected === 'AF') t.is(result.rest, 'Domain\\User');
  }
});

samba('Samba 4 (ntlm_auth) over SPNEGO: our mechListMIC is accepted, and Samba\'s verifies', async (t) => {
  const helper = ntlmAuth('gss-spnego');
  t.teardown(helper.close);
  const client = new SpnegoNtlmClient({ ...credentials, password: COMMON.password });
  const first = await helper.ask('YR', client.initialToken());
  t.is(first.verb, 'TT');
  t.like(parseNegTokenResp(first.token!), { negState: 'accept-incomplete', supportedMech: NTLMSSP_MECH });
  const { token } = client.respond(first.token!);
  const last = await helper.ask('KK', token);
  t.is(last.verb, 'AF', last.rest);
  const final = parseNegTokenResp(last.token!);
  t.is(final.negState, 'accept-completed');
  t.truthy(final.mechListMic);
  t.notThrows(() => client.finish(last.token!));
});

// --- Fuzz: 100,000 inputs per decoder, only ProbeError, no input over 100 ms

fuzzTests(NTLM_FUZZ_TARGETS, 100_000, 0x4e544c4d);
