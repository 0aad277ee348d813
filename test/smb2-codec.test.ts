/**
 * SMB2/3 codecs and cryptography (enum/smb2). Requests are compared with literal bytes: Windows' own where Microsoft
 * published them (fixtures/smb2-vectors.ts), otherwise written out field by field from [MS-SMB2] 2.2. Responses are
 * parsed from messages built from the spec (fixtures/smb2-samples.ts) and from the published Windows ones. Key
 * derivation, signing and encryption are checked against published vectors (Microsoft's blog posts, Wireshark's
 * decryption suite, RFC 4493); where none is published, against an independent implementation, and said so.
 */
import test from 'ava';
import { ProbeError } from '../probes/core/outcome.js';
import {
  aesCmac, cancelRequest, CIPHER, Cipher, CIPHER_NAMES, closeRequest, cmacSubkeys, COMMAND, createRequest, creditCharge, decryptMessage, deriveKeys, DIALECT,
  echoRequest, encodeHeader, encryptMessage, frame, framedLength, FSCTL, gmacNonce, ioctlRequest, ipcPath, isError, kdf, logoffRequest,
  negotiateRequest, NonceSequence, NT_STATUS, parseCloseResponse, parseCreateResponse, parseEchoResponse, parseErrorResponse, parseHeader,
  parseIoctlResponse, parseLogoffResponse, parseNegotiateResponse, parseReadResponse, parseSessionSetupResponse, parseTransformHeader,
  parseTreeConnectResponse, parseTreeDisconnectResponse, parseValidateNegotiateInfo, parseWriteResponse, PreauthHash, readRequest,
  SessionEncryption, sessionSetupRequest, SHARE_TYPE, sign, signatureOf, SIGNING_ALGORITHM, signingAlgorithmFor, Smb2StatusError,
  statusName, transceiveRequest, treeConnectRequest, treeDisconnectRequest, unframe, validateNegotiateInfoRequest, verify, writeRequest,
} from '../enum/smb2/index.js';
import { PIPE_DATA, PIPE_FILE_ID, SMB2_SAMPLES as S } from '../fixtures/smb2-samples.js';
import { MS_ENCRYPTION_300 as E300, MS_ENCRYPTION_311 as E311, MS_PREAUTH as P, RFC4493, WIRESHARK_SMB300 as WS } from '../fixtures/smb2-vectors.js';
import { SMB2_FUZZ_TARGETS } from '../fuzz/smb2.js';
import { fuzzTests } from './helpers/fuzz.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+|\|/g, ''), 'hex');
const SESSION = 0x0000400000000011n;

/** [MS-SMB2] 2.2.1.2 a request header, written out: ... Command, CreditRequest 64, Flags 0, ... */
function requestHeader(command: string, messageId: string, treeId: string, sessionId: string): string {
  return `fe534d42 4000 0100 00000000 ${command} 4000 00000000 00000000 ${messageId} 00000000 ${treeId} ${sessionId} ${'00'.repeat(16)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

test('NEGOTIATE 3.1.1 request is byte for byte the Windows 10 one Microsoft published (2.2.3, 2.2.3.1)', (t) => {
  const guid = P.negotiateRequest.subarray(64 + 12, 64 + 28);
  const salt = P.negotiateRequest.subarray(112 + 8 + 6, 112 + 8 + 6 + 32);
  const built = negotiateRequest(
    { messageId: 1n, creditRequest: 128, reserved: 0xfeff },
    { securityMode: 0, capabilities: 0x3f, clientGuid: guid, salt, ciphers: [CIPHER.AES_128_GCM, CIPHER.AES_128_CCM], signingAlgorithms: [] },
  );
  t.is(built.toString('hex'), P.negotiateRequest.toString('hex'));
});

test('NEGOTIATE request with every default context, field by field (2.2.3, 2.2.3.1.1, .2, .4, .7)', (t) => {
  const built = negotiateRequest({ messageId: 0n }, { clientGuid: hex('00112233445566778899aabbccddeeff'), salt: Buffer.alloc(32, 0xa5), netName: 'labsmb' });
  const expected = hex(`${requestHeader('0000', '0000000000000000', '00000000', '0000000000000000')}
    2400 0500 0100 0000 | 40000000 | 00112233445566778899aabbccddeeff | 70000000 0400 0000 | 0202 1002 0003 0203 1103 | 0000
    0100 2600 00000000 | 0100 2000 0100 | ${'a5'.repeat(32)} | 0000
    0200 0a00 00000000 | 0400 0200 0100 0400 0300 | 000000000000
    0800 0800 00000000 | 0300 0200 0100 0000
    0500 0c00 00000000 | 6c00 6100 6200 7300 6d00 6200`);
  // StructureSize 36, 5 dialects, SIGNING_ENABLED, ENCRYPTION; contexts at 112: preauth SHA-512 + salt, ciphers
  // AES-128-GCM, AES-128-CCM, AES-256-GCM, AES-256-CCM, signing AES-GMAC, AES-CMAC, HMAC-SHA256, netname "labsmb"
  t.is(built.toString('hex'), expected.toString('hex'));
});

test('NEGOTIATE request without 3.1.1 carries no contexts and a zero ClientStartTime (2.2.3)', (t) => {
  const built = negotiateRequest({ messageId: 0n }, { dialects: [DIALECT.SMB_2_0_2, DIALECT.SMB_2_1], clientGuid: Buffer.alloc(16, 1) });
  t.is(built.subarray(64).toString('hex'), hex(`2400 0200 0100 0000 40000000 ${'01'.repeat(16)} 0000000000000000 0202 1002`).toString('hex'));
  t.throws(() => negotiateRequest({ messageId: 0n }, { dialects: [] }), { instanceOf: RangeError });
  t.throws(() => negotiateRequest({ messageId: 0n }, { clientGuid: Buffer.alloc(15) }), { message: /clientGuid must be 16 bytes/ });
});

test('SESSION_SETUP requests are byte for byte the published Windows ones (2.2.5)', (t) => {
  const token1 = P.sessionSetupRequest1.subarray(88);
  t.is(
    sessionSetupRequest({ messageId: 2n, creditRequest: 128, reserved: 0xfeff }, { securityBuffer: token1, capabilities: 0x1 }).toString('hex'),
    P.sessionSetupRequest1.toString('hex'),
  );
  const token2 = P.sessionSetupRequest2.subarray(88);
  t.is(
    sessionSetupRequest({ messageId: 3n, creditRequest: 128, reserved: 0xfeff, sessionId: 0x0000100000000019n }, { securityBuffer: token2, capabilities: 0x1 }).toString('hex'),
    P.sessionSetupRequest2.toString('hex'),
  );
});

test('TREE_CONNECT to \\\\labsmb\\IPC$, field by field (2.2.9)', (t) => {
  t.is(ipcPath('labsmb'), '\\\\labsmb\\IPC$');
  const built = treeConnectRequest({ messageId: 3n, sessionId: SESSION }, ipcPath('labsmb'));
  // StructureSize 9, Flags 0, PathOffset 72, PathLength 26, then the path in UTF-16LE
  const expected = hex(`${requestHeader('0300', '0300000000000000', '00000000', '1100000000400000')}
    0900 0000 4800 1a00 | 5c00 5c00 6c00 6100 6200 7300 6d00 6200 5c00 4900 5000 4300 2400`);
  t.is(built.toString('hex'), expected.toString('hex'));
  t.throws(() => treeConnectRequest({ messageId: 3n }, 'IPC$'), { instanceOf: RangeError });
  t.throws(() => ipcPath('a\\b'), { instanceOf: RangeError });
});

test('CREATE of the pipe "samr", field by field (2.2.13)', (t) => {
  const built = createRequest({ messageId: 4n, sessionId: SESSION, treeId: 5 }, { name: 'samr' });
  const expected = hex(`${requestHeader('0500', '0400000000000000', '05000000', '1100000000400000')}
    3900 | 00 | 00 | 02000000 | 0000000000000000 | 0000000000000000
    9f011200 | 00000000 | 03000000 | 01000000 | 40000000 | 7800 0800 | 00000000 00000000
    7300 6100 6d00 7200`);
  // StructureSize 57, SecurityFlags 0, no oplock, Impersonation, DesiredAccess 0x0012019f, no attributes,
  // share READ | WRITE, disposition OPEN, NON_DIRECTORY_FILE, name at 120 (8 bytes), no create contexts
  t.is(built.toString('hex'), expected.toString('hex'));
  t.throws(() => createRequest({ messageId: 4n }, { name: '\\samr' }), { message: /backslash/ });
  t.is(createRequest({ messageId: 4n }, { name: '' }).length, 64 + 57, 'an empty name still has its one-byte Buffer');
});

test('IOCTL FSCTL_PIPE_TRANSCEIVE, field by field (2.2.31)', (t) => {
  const data = hex('0500000310000000');
  const built = transceiveRequest({ messageId: 7n, sessionId: SESSION, treeId: 5 }, PIPE_FILE_ID, data, 4280);
  const expected = hex(`${requestHeader('0b00', '0700000000000000', '05000000', '1100000000400000')}
    3900 0000 | 17c01100 | 1b0a000000000000 4200eeff00000000 | 78000000 08000000 | 00000000 | 00000000 00000000 | b8100000 | 01000000 | 00000000
    0500000310000000`);
  // CtlCode 0x0011C017, FileId, input at 120 (8 bytes), MaxInputResponse 0, no output, MaxOutputResponse 4280, IS_FSCTL
  t.is(built.toString('hex'), expected.toString('hex'));
  t.is(ioctlRequest({ messageId: 7n }, { ctlCode: FSCTL.PIPE_WAIT, fileId: PIPE_FILE_ID }).readUInt32LE(64 + 24), 0, 'no input, no InputOffset');
});

test('READ, WRITE, CLOSE, LOGOFF, TREE_DISCONNECT, ECHO, CANCEL requests (2.2.19, 2.2.21, 2.2.15, 2.2.7, 2.2.11, 2.2.28, 2.2.30)', (t) => {
  const id = '1b0a000000000000 4200eeff00000000';
  t.is(
    readRequest({ messageId: 6n, sessionId: SESSION, treeId: 5 }, { fileId: PIPE_FILE_ID, length: 4280 }).subarray(64).toString('hex'),
    hex(`3100 50 00 b8100000 0000000000000000 ${id} 00000000 00000000 00000000 0000 0000 00`).toString('hex'),
  );
  const w = writeRequest({ messageId: 4n, creditRequest: 64, flags: 0x8, reserved: 0xfeff, treeId: 1, sessionId: E300.sessionId }, { fileId: E300.writeFileId, data: Buffer.from('Smb3 encryption testing') });
  t.is(w.toString('hex'), E300.writeRequest.toString('hex'), 'the WRITE of the SMB 3.0 encryption blog post');
  t.is(closeRequest({ messageId: 8n }, PIPE_FILE_ID).subarray(64).toString('hex'), hex(`1800 0000 00000000 ${id}`).toString('hex'));
  for (const [build, command] of [[logoffRequest, '0200'], [treeDisconnectRequest, '0400'], [echoRequest, '0d00']] as const) {
    const m = build({ messageId: 9n });
    t.is(m.subarray(12, 14).toString('hex'), command);
    t.is(m.subarray(64).toString('hex'), '04000000');
  }
  const cancel = cancelRequest({ messageId: 7n, sessionId: SESSION, asyncId: 0x42n });
  const h = parseHeader(cancel);
  t.like(h, { command: COMMAND.CANCEL, flags: 0x2, asyncId: 0x42n, creditCharge: 0, credits: 0, treeId: 0 });
  t.is(cancel.subarray(32, 40).toString('hex'), '4200000000000000', 'AsyncId where a SYNC header has Reserved and TreeId');
});

test('VALIDATE_NEGOTIATE_INFO request and its answer (2.2.31.4, 2.2.32.6)', (t) => {
  const v = validateNegotiateInfoRequest({ messageId: 4n, sessionId: SESSION, treeId: 1 }, { capabilities: 0x40, guid: Buffer.alloc(16, 7), securityMode: 1, dialects: [0x0300, 0x0302] });
  t.is(v.subarray(64).toString('hex'), hex(`3900 0000 04021400 ${'ff'.repeat(16)} 78000000 1c000000 00000000 00000000 00000000 18000000 01000000 00000000
    40000000 ${'07'.repeat(16)} 0100 0200 0003 0203`).toString('hex'));
  const r = parseIoctlResponse(S.ioctlValidateNegotiate);
  t.is(r.ctlCode, FSCTL.VALIDATE_NEGOTIATE_INFO);
  t.deepEqual(parseValidateNegotiateInfo(r.output), { capabilities: 0x47, guid: hex('6c6162736d62322d67756964000000ff'), securityMode: 3, dialect: 0x0302 });
  t.throws(() => parseValidateNegotiateInfo(Buffer.alloc(23)), { instanceOf: ProbeError });
});

test('request headers: credits, channel sequence, Reserved, flags, and fields that do not fit', (t) => {
  const h = encodeHeader(COMMAND.READ, { messageId: 0x0102030405060708n, sessionId: 9n, treeId: 3, creditCharge: 2, creditRequest: 256, channelSequence: 5, flags: 0x10000000 });
  t.is(h.toString('hex'), hex(`fe534d42 4000 0200 0500 0000 0800 0001 00000010 00000000 0807060504030201 00000000 03000000 0900000000000000 ${'00'.repeat(16)}`).toString('hex'));
  t.is(creditCharge(1), 1);
  t.is(creditCharge(65536), 1);
  t.is(creditCharge(65537), 2);
  t.is(creditCharge(0), 1);
  t.throws(() => encodeHeader(0, { messageId: 0n, creditRequest: 70000 }), { message: /creditRequest must be an integer from 0 to 65535, got 70000/ });
});

// ---------------------------------------------------------------------------------------------------------------
// Responses

test('NEGOTIATE responses: Windows 10 (3.1.1), a 3.0.2 server, and a 3.1.1 server choosing AES-256-GCM and AES-GMAC (2.2.4)', (t) => {
  const win = parseNegotiateResponse(P.negotiateResponse);
  t.like(win, { dialect: 0x0311, securityMode: 1, capabilities: 0x2f, maxTransactSize: 0x800000, maxReadSize: 0x800000, maxWriteSize: 0x800000, cipher: CIPHER.AES_128_GCM, signingAlgorithm: null });
  t.is(win.serverGuid.toString('hex'), '39cbcaf329714942bdce5d60f09ab3fb');
  t.is(win.securityBuffer.length, 0x140);
  t.is(win.securityBuffer.subarray(0, 2).toString('hex'), '6082', 'an SPNEGO negTokenInit');
  t.deepEqual(win.preauth, { hashAlgorithm: 1, salt: hex('60A3C3B95C3C7CCD51EC536648D9B3AC74C483CA5B65385A251117BEB30712E5') });
  t.is(win.systemTime?.toISOString(), '2015-06-24T22:18:21.286Z');
  t.is(win.contexts.length, 2);

  const old = parseNegotiateResponse(S.negotiate302);
  t.like(old, { dialect: 0x0302, securityMode: 3, capabilities: 0x47, preauth: null, cipher: null, signingAlgorithm: null, serverStartTime: null });
  t.is(old.systemTime?.toISOString(), '2026-01-02T03:04:05.000Z');
  t.deepEqual(old.contexts, []);

  const modern = parseNegotiateResponse(S.negotiate311);
  t.like(modern, { dialect: 0x0311, cipher: CIPHER.AES_256_GCM, signingAlgorithm: SIGNING_ALGORITHM.AES_GMAC });
  t.deepEqual(modern.preauth, { hashAlgorithm: 1, salt: Buffer.alloc(32, 0x5a) });
  t.deepEqual(modern.contexts.map((c) => c.type), [1, 2, 6, 8], 'an unrequested context is kept, not refused');
});

test('NEGOTIATE responses that break the rules of 2.2.4 and 3.2.5.2 are protocol errors', (t) => {
  const pe = { instanceOf: ProbeError, message: /./ };
  const err = (b: Buffer) => t.throws(() => parseNegotiateResponse(b), pe);
  err(S.negotiate311.subarray(0, 100));
  const unaligned = Buffer.from(S.negotiate311);
  unaligned.writeUInt32LE(unaligned.readUInt32LE(64 + 60) + 2, 64 + 60);
  t.throws(() => parseNegotiateResponse(unaligned), { message: /not 8-byte aligned/ });
  const blob = Buffer.from(S.negotiate302);
  blob.writeUInt16LE(0xffff, 64 + 58);
  t.throws(() => parseNegotiateResponse(blob), { message: /security buffer .* outside/ });
  const noPreauth = Buffer.from(S.negotiate311);
  noPreauth.writeUInt16LE(6, noPreauth.readUInt32LE(64 + 60)); // the preauth context becomes another type
  t.throws(() => parseNegotiateResponse(noPreauth), { message: /no PREAUTH_INTEGRITY_CAPABILITIES/ });
  const twoCiphers = Buffer.from(S.negotiate311);
  const encAt = twoCiphers.readUInt32LE(64 + 60) + 48; // preauth context: 8 + 38, padded to 48
  twoCiphers.writeUInt16LE(2, encAt + 8);
  t.throws(() => parseNegotiateResponse(twoCiphers), { message: /lists 2 choices/ });
  const request = Buffer.from(S.negotiate302);
  request.writeUInt32LE(0, 16);
  t.throws(() => parseNegotiateResponse(request), { message: /is a request/ });
  t.throws(() => parseNegotiateResponse(S.treeConnectPipe), { message: /expected an SMB2 NEGOTIATE response, got TREE_CONNECT/ });
  t.throws(() => parseNegotiateResponse(Buffer.concat([hex('ff534d42'), Buffer.alloc(100)])), { message: /not an SMB2 message/ });
});

test('SESSION_SETUP responses: more processing (Windows), success with ENCRYPT_DATA, guest (2.2.6)', (t) => {
  const first = parseSessionSetupResponse(P.sessionSetupResponse1);
  t.like(first, { moreProcessing: true, sessionFlags: 0, isGuest: false });
  t.is(first.header.sessionId, 0x0000100000000019n);
  t.is(first.securityBuffer.length, 0xb3);
  t.is(first.securityBuffer.subarray(31, 38).toString('latin1'), 'NTLMSSP');
  const done = parseSessionSetupResponse(S.sessionSetupSuccess);
  t.like(done, { moreProcessing: false, encryptData: true, isGuest: false, isNull: false });
  t.is(done.header.flags & 0x8, 0x8, 'signed');
  t.is(done.securityBuffer.toString('hex'), 'a1073005a0030a0100');
  const guest = parseSessionSetupResponse(S.sessionSetupGuest);
  t.true(guest.isGuest);
  t.is(guest.securityBuffer.length, 0);
});

test('TREE_CONNECT, CREATE, READ, WRITE, IOCTL, CLOSE and the four-byte responses (2.2.10 - 2.2.32)', (t) => {
  const tree = parseTreeConnectResponse(S.treeConnectPipe);
  t.like(tree, { treeId: 5, shareType: SHARE_TYPE.PIPE, isPipe: true, encryptData: true, shareFlags: 0x8030, maximalAccess: 0x001f01ff });
  const create = parseCreateResponse(S.createPipe);
  t.deepEqual(create.fileId, PIPE_FILE_ID);
  t.like(create, { createAction: 1, fileAttributes: 0x80, allocationSize: 4096n, endOfFile: 0n, creationTime: null });
  t.is(create.lastWriteTime?.toISOString(), '2026-01-02T03:04:05.000Z');
  t.is(create.createContexts.length, 0);
  const read = parseReadResponse(S.readOverflow);
  t.like(read, { more: true, dataRemaining: 100 });
  t.deepEqual(read.data, PIPE_DATA);
  t.like(parseWriteResponse(S.write), { count: 72, remaining: 0 });
  const io = parseIoctlResponse(S.ioctlTransceive);
  t.like(io, { ctlCode: FSCTL.PIPE_TRANSCEIVE, more: false, flags: 0 });
  t.deepEqual(io.output, PIPE_DATA);
  t.deepEqual(io.input, Buffer.alloc(0));
  t.deepEqual(io.fileId, PIPE_FILE_ID);
  t.true(parseIoctlResponse(S.ioctlOverflow).more, 'STATUS_BUFFER_OVERFLOW: read the rest of the message');
  t.like(parseCloseResponse(S.close), { flags: 0, endOfFile: 0n });
  t.is(parseTreeDisconnectResponse(S.treeDisconnect).header.treeId, 5);
  t.is(parseLogoffResponse(S.logoff).header.command, COMMAND.LOGOFF);
  t.is(parseEchoResponse(S.echo).header.command, COMMAND.ECHO);
  const badOffset = Buffer.from(S.ioctlTransceive);
  badOffset.writeUInt32LE(0xfffffff0, 64 + 32);
  t.throws(() => parseIoctlResponse(badOffset), { instanceOf: ProbeError, message: /IOCTL output .* outside/ });
  const inHeader = Buffer.from(S.readOverflow);
  inHeader[64 + 2] = 0x10;
  t.throws(() => parseReadResponse(inHeader), { message: /READ data .* outside/ }, 'data inside the header is refused');
});

test('failure statuses become a typed Smb2StatusError named from the table (2.2.2)', (t) => {
  const logon = t.throws(() => parseSessionSetupResponse(S.errorLogonFailure), { instanceOf: Smb2StatusError });
  t.like(logon, { ntStatus: NT_STATUS.LOGON_FAILURE, statusName: 'STATUS_LOGON_FAILURE', status: 'auth-failed', command: COMMAND.SESSION_SETUP });
  t.is(logon.message, 'SMB2 SESSION_SETUP failed: STATUS_LOGON_FAILURE (0xc000006d)');
  t.true(logon instanceof ProbeError);
  t.like(t.throws(() => parseTreeConnectResponse(S.errorAccessDenied), { instanceOf: Smb2StatusError }), { statusName: 'STATUS_ACCESS_DENIED', status: 'access-denied' });
  const small = t.throws(() => parseReadResponse(S.errorBufferTooSmall), { instanceOf: Smb2StatusError });
  t.is(small.statusName, 'STATUS_BUFFER_TOO_SMALL');
  t.is(small.errorData.readUInt32LE(0), 4096, 'ErrorData: the size the buffer needs (2.2.2.2)');
  const missing = t.throws(() => parseCreateResponse(S.errorWithContexts), { instanceOf: Smb2StatusError });
  t.like(missing, { statusName: 'STATUS_OBJECT_NAME_NOT_FOUND', status: 'unsupported' });
  const e = parseErrorResponse(S.errorWithContexts);
  t.is(e.errorContextCount, 2);
  t.deepEqual(e.contexts, [{ errorId: 0, data: hex('aabbcc') }, { errorId: 1, data: hex('11223344') }]);
  const pending = t.throws(() => parseIoctlResponse(S.interimPending), { instanceOf: Smb2StatusError });
  t.is(pending.statusName, 'STATUS_PENDING');
  t.is(parseHeader(S.interimPending).asyncId, 0x42n, 'an interim response carries the AsyncId of the final one');
  const broken = Buffer.from(S.errorLogonFailure.subarray(0, 66));
  t.like(t.throws(() => parseSessionSetupResponse(broken), { instanceOf: Smb2StatusError }), { ntStatus: NT_STATUS.LOGON_FAILURE }, 'a malformed ERROR body still reports the status');
  const unknown = t.throws(() => parseCloseResponse(withStatus(S.close, 0xc0ffee01)), { instanceOf: Smb2StatusError });
  t.like(unknown, { statusName: 'NTSTATUS 0xc0ffee01', status: 'protocol-error' });
  for (const name of ['SUCCESS', 'MORE_PROCESSING_REQUIRED', 'LOGON_FAILURE', 'ACCESS_DENIED', 'OBJECT_NAME_NOT_FOUND', 'PIPE_NOT_AVAILABLE', 'BUFFER_OVERFLOW', 'NOT_SUPPORTED',
    'USER_SESSION_DELETED', 'NETWORK_SESSION_EXPIRED', 'PIPE_BROKEN', 'PIPE_DISCONNECTED', 'INSUFFICIENT_RESOURCES', 'BAD_NETWORK_NAME', 'ACCOUNT_LOCKED_OUT', 'ACCOUNT_DISABLED',
    'PASSWORD_EXPIRED'] as const) {
    t.is(statusName(NT_STATUS[name]), `STATUS_${name}`);
  }
  t.true(isError(NT_STATUS.ACCESS_DENIED));
  t.false(isError(NT_STATUS.BUFFER_OVERFLOW));
});

function withStatus(message: Buffer, status: number): Buffer {
  const b = Buffer.from(message);
  b.writeUInt32LE(status, 8);
  return b;
}

// ---------------------------------------------------------------------------------------------------------------
// Preauth integrity and keys

test('preauth integrity hash: the published chain over NEGOTIATE and SESSION_SETUP (3.2.5.2, 3.2.4.2.3)', (t) => {
  const connection = new PreauthHash();
  t.deepEqual(connection.value, Buffer.alloc(64));
  t.deepEqual(connection.update(P.negotiateRequest).value, P.afterNegotiateRequest);
  t.deepEqual(connection.update(P.negotiateResponse).value, P.afterNegotiateResponse);
  const session = connection.fork();
  t.true(session.updateSessionSetup(P.sessionSetupRequest1));
  t.deepEqual(session.value, P.afterSessionSetupRequest1);
  t.true(session.updateSessionSetup(P.sessionSetupResponse1), 'a MORE_PROCESSING_REQUIRED response is included');
  t.deepEqual(session.value, P.afterSessionSetupResponse1);
  t.true(session.updateSessionSetup(P.sessionSetupRequest2));
  t.deepEqual(session.value, P.afterSessionSetupRequest2);
  t.false(session.updateSessionSetup(S.sessionSetupSuccess), 'the final STATUS_SUCCESS response is left out');
  t.deepEqual(session.value, P.afterSessionSetupRequest2);
  t.deepEqual(connection.value, P.afterNegotiateResponse, 'the fork left the connection value alone');
  t.throws(() => session.updateSessionSetup(S.treeConnectPipe), { instanceOf: RangeError });
});

test('3.1.1 signing key from the published preauth chain and session key (3.1.4.2, 3.2.5.3.1)', (t) => {
  const keys = deriveKeys({ dialect: DIALECT.SMB_3_1_1, sessionKey: P.sessionKey, preauthHash: P.afterSessionSetupRequest2 });
  t.is(keys.signingKey.toString('hex'), P.signingKey.toString('hex'));
});

test('SMB 3.0 keys: Microsoft\'s encryption blog and Wireshark\'s decryption suite ("ServerIn " / "ServerOut")', (t) => {
  const ms = deriveKeys({ dialect: DIALECT.SMB_3_0, sessionKey: E300.sessionKey });
  t.is(ms.encryptionKey?.toString('hex'), E300.encryptionKey.toString('hex'));
  t.is(ms.decryptionKey?.toString('hex'), E300.decryptionKey.toString('hex'));
  const ws = deriveKeys({ dialect: DIALECT.SMB_3_0_2, sessionKey: WS.sessionKey });
  t.is(ws.encryptionKey?.toString('hex'), WS.c2sKey.toString('hex'));
  t.is(ws.decryptionKey?.toString('hex'), WS.s2cKey.toString('hex'));
  const z = (s: string) => Buffer.from(`${s}\0`, 'latin1');
  t.deepEqual(kdf(WS.sessionKey, z('SMB2AESCCM'), z('ServerIn ')), WS.c2sKey);
  t.notDeepEqual(kdf(WS.sessionKey, z('SMB2AESCCM'), z('ServerIn')), WS.c2sKey, 'the trailing space is part of the context');
  t.notDeepEqual(kdf(WS.sessionKey, Buffer.from('SMB2AESCCM'), z('ServerIn ')), WS.c2sKey, 'so is the label\'s NUL');
});

test('SMB 3.1.1 cipher keys: Microsoft\'s encryption blog; 256-bit keys for AES-256 (L = 256)', (t) => {
  const k = deriveKeys({ dialect: DIALECT.SMB_3_1_1, sessionKey: E311.sessionKey, preauthHash: E311.preauthHash, cipher: CIPHER.AES_128_GCM });
  t.is(k.encryptionKey?.toString('hex'), E311.encryptionKey.toString('hex'));
  t.is(k.decryptionKey?.toString('hex'), E311.decryptionKey.toString('hex'));
  // No 256-bit vector is published beside a preauth hash (Wireshark's AES-256 captures hold theirs inside the pcap);
  // these values come from pyca/cryptography 48's KBKDFHMAC (counter mode, HMAC-SHA256, L = 256), an independent
  // SP 800-108 implementation, over the same session key and hash.
  const wide = deriveKeys({ dialect: DIALECT.SMB_3_1_1, sessionKey: E311.sessionKey, preauthHash: E311.preauthHash, cipher: CIPHER.AES_256_GCM });
  t.is(wide.encryptionKey?.toString('hex'), 'cb61eb110446fbcaeb6a83beedb92779130b833a706e5b3495879d52195b90ed');
  t.is(wide.decryptionKey?.toString('hex'), 'f8cae3069ffcdc7662e2941207af463614d520a1a204aaf6b9ead136de931111');
  t.deepEqual(wide.signingKey, k.signingKey, 'the signing key stays 128 bits');
  t.like(deriveKeys({ dialect: DIALECT.SMB_3_1_1, sessionKey: E311.sessionKey, preauthHash: E311.preauthHash, cipher: null }), { encryptionKey: null, decryptionKey: null });
  const two = deriveKeys({ dialect: DIALECT.SMB_2_1, sessionKey: Buffer.from('0102', 'hex') });
  t.is(two.signingKey.toString('hex'), '01020000000000000000000000000000', 'the session key, zero-padded to 16 bytes (3.2.1.3)');
  t.is(two.encryptionKey, null);
  t.throws(() => deriveKeys({ dialect: DIALECT.SMB_3_1_1, sessionKey: E311.sessionKey }), { message: /preauth integrity hash/ });
  t.throws(() => deriveKeys({ dialect: 0x0202, sessionKey: Buffer.alloc(0) }), { message: /anonymous or guest/ });
});

// ---------------------------------------------------------------------------------------------------------------
// Signing

test('AES-CMAC: RFC 4493 section 4 subkeys and examples 1-4', (t) => {
  const { k1, k2 } = cmacSubkeys(RFC4493.key);
  t.is(k1.toString('hex'), RFC4493.k1.toString('hex'));
  t.is(k2.toString('hex'), RFC4493.k2.toString('hex'));
  for (const ex of RFC4493.examples) t.is(aesCmac(RFC4493.key, RFC4493.message.subarray(0, ex.length)).toString('hex'), ex.mac.toString('hex'), `${ex.length} bytes`);
  t.notDeepEqual(aesCmac(RFC4493.key, hex('010203')), aesCmac(RFC4493.key, hex('01020300')), '10* padding, not zero padding');
});

test('signatures: HMAC-SHA256, AES-CMAC, AES-GMAC over a published WRITE, cross-checked with pyca/cryptography (3.1.4.1)', (t) => {
  // The expected values were computed with pyca/cryptography 48 (HMAC, CMAC, AESGCM with an empty plaintext and a
  // nonce of MessageId 5 and role 0) over the same bytes: an independent implementation, not a published vector.
  const key = P.signingKey;
  t.is(signatureOf(E311.writeRequest, key, SIGNING_ALGORITHM.HMAC_SHA256).toString('hex'), 'e30c917706b4eeb646f5eae85486e06a');
  t.is(signatureOf(E311.writeRequest, key, SIGNING_ALGORITHM.AES_CMAC).toString('hex'), '6c8cab5f147c12ae052aa88b802d5983');
  t.is(signatureOf(E311.writeRequest, key, SIGNING_ALGORITHM.AES_GMAC).toString('hex'), '758f6d4c97cf4f165f0d9c04873e9a98');
  t.is(gmacNonce(E311.writeResponse).toString('hex'), '050000000000000001000000', 'a response sets the role bit');
  t.is(signatureOf(E311.writeResponse, key, SIGNING_ALGORITHM.AES_GMAC).toString('hex'), '7ab1138b81add36b8145cf4cd1e234a4');
  t.is(gmacNonce(cancelRequest({ messageId: 9n })).toString('hex'), '090000000000000002000000', 'a CANCEL request sets the cancel bit');
});

test('sign and verify in place, the signature field zeroed while computing; a changed byte fails (3.1.5.1)', (t) => {
  for (const algorithm of [SIGNING_ALGORITHM.HMAC_SHA256, SIGNING_ALGORITHM.AES_CMAC, SIGNING_ALGORITHM.AES_GMAC]) {
    const message = createRequest({ messageId: 4n, sessionId: SESSION, treeId: 5 }, { name: 'samr' });
    message.fill(0x77, 48, 64); // whatever was in the field is not signed
    const unsigned = Buffer.from(message);
    sign(message, P.signingKey, algorithm);
    t.is(message.readUInt32LE(16) & 0x8, 0x8, 'SMB2_FLAGS_SIGNED is set');
    const flagged = Buffer.from(unsigned);
    flagged.writeUInt32LE(0x8, 16);
    t.deepEqual(message.subarray(48, 64), signatureOf(flagged, P.signingKey, algorithm));
    const before = Buffer.from(message);
    t.true(verify(message, P.signingKey, algorithm));
    t.deepEqual(message, before, 'verify leaves the message as it was');
    const changed = Buffer.from(message);
    changed[changed.length - 1]! ^= 1;
    t.false(verify(changed, P.signingKey, algorithm));
    t.false(verify(message, Buffer.alloc(16, 1), algorithm), 'another key');
  }
  t.throws(() => verify(Buffer.alloc(10), P.signingKey, SIGNING_ALGORITHM.AES_CMAC), { instanceOf: ProbeError });
  t.is(signingAlgorithmFor(DIALECT.SMB_2_1), SIGNING_ALGORITHM.HMAC_SHA256);
  t.is(signingAlgorithmFor(DIALECT.SMB_3_0_2), SIGNING_ALGORITHM.AES_CMAC);
  t.is(signingAlgorithmFor(DIALECT.SMB_3_1_1), SIGNING_ALGORITHM.AES_CMAC);
  t.is(signingAlgorithmFor(DIALECT.SMB_3_1_1, SIGNING_ALGORITHM.AES_GMAC), SIGNING_ALGORITHM.AES_GMAC);
  t.is(signingAlgorithmFor(DIALECT.SMB_3_0, SIGNING_ALGORITHM.AES_GMAC), SIGNING_ALGORITHM.AES_CMAC, 'only 3.1.1 negotiates it');
});

// ---------------------------------------------------------------------------------------------------------------
// Encryption

test('TRANSFORM_HEADER with AES-128-CCM: the SMB 3.0 blog\'s encrypted WRITE and its encrypted answer (2.2.41)', (t) => {
  const sealed = encryptMessage(E300.writeRequest, { cipher: CIPHER.AES_128_CCM, key: E300.encryptionKey, sessionId: E300.sessionId, nonce: E300.nonce });
  t.is(sealed.toString('hex'), E300.transformedRequest.toString('hex'));
  const th = parseTransformHeader(E300.transformedResponse);
  t.like(th, { originalMessageSize: 0x50, flags: 1, sessionId: E300.sessionId });
  t.is(decryptMessage(E300.transformedResponse, { cipher: CIPHER.AES_128_CCM, key: E300.decryptionKey, sessionId: E300.sessionId }).toString('hex'), E300.writeResponse.toString('hex'));
  t.like(parseWriteResponse(E300.writeResponse), { count: 23 });
});

test('TRANSFORM_HEADER with AES-128-GCM: the SMB 3.1.1 blog\'s encrypted WRITE and its encrypted answer', (t) => {
  const sealed = encryptMessage(E311.writeRequest, { cipher: CIPHER.AES_128_GCM, key: E311.encryptionKey, sessionId: E311.sessionId, nonce: E311.nonce });
  t.is(sealed.toString('hex'), E311.transformedRequest.toString('hex'));
  t.is(decryptMessage(E311.transformedResponse, { cipher: CIPHER.AES_128_GCM, key: E311.decryptionKey }).toString('hex'), E311.writeResponse.toString('hex'));
});

test('encrypt then decrypt with every cipher; a changed tag, ciphertext, header or session is refused', (t) => {
  const message = createRequest({ messageId: 4n, sessionId: SESSION, treeId: 5 }, { name: 'samr' });
  for (const cipher of [CIPHER.AES_128_CCM, CIPHER.AES_128_GCM, CIPHER.AES_256_CCM, CIPHER.AES_256_GCM] as Cipher[]) {
    const keys = deriveKeys({ dialect: DIALECT.SMB_3_1_1, sessionKey: E311.sessionKey, preauthHash: E311.preauthHash, cipher });
    const client = new SessionEncryption({ cipher, sessionId: SESSION, encryptionKey: keys.encryptionKey!, decryptionKey: keys.decryptionKey! });
    const sealed = client.encrypt(message);
    t.is(sealed.length, 52 + message.length);
    const nonceLength = cipher === CIPHER.AES_128_CCM || cipher === CIPHER.AES_256_CCM ? 11 : 12;
    t.deepEqual(sealed.subarray(20 + nonceLength, 36), Buffer.alloc(16 - nonceLength), 'the unused nonce bytes are zero');
    // The server opens with the client's EncryptionKey and answers with the client's DecryptionKey.
    t.deepEqual(decryptMessage(sealed, { cipher, key: keys.encryptionKey!, sessionId: SESSION }), message);
    const answer = encryptMessage(S.createPipe, { cipher, key: keys.decryptionKey!, sessionId: SESSION, nonce: Buffer.alloc(nonceLength, 9) });
    t.deepEqual(client.decrypt(answer), S.createPipe);
    for (const [what, at] of [['tag', 4], ['nonce', 20], ['size-adjacent reserved field', 40], ['ciphertext', 60], ['last byte', sealed.length - 1]] as const) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 0x01;
      t.throws(() => decryptMessage(bad, { cipher, key: keys.encryptionKey! }), { instanceOf: ProbeError, message: /decryption failed/ }, `${CIPHER_NAMES[cipher]}: ${what}`);
    }
    t.throws(() => decryptMessage(sealed, { cipher, key: keys.encryptionKey!, sessionId: SESSION + 1n }), { message: /for session/ });
    t.throws(() => client.decrypt(sealed), { message: /decryption failed/ }, 'its own message under the other direction\'s key');
  }
});

test('nonces never repeat within a session; TRANSFORM_HEADER checks (2.2.41)', (t) => {
  const seq = new NonceSequence(CIPHER.AES_128_GCM, hex('a1a2a3a4'));
  t.is(seq.next().toString('hex'), '0100000000000000a1a2a3a4');
  t.is(seq.next().toString('hex'), '0200000000000000a1a2a3a4');
  const keys = deriveKeys({ dialect: DIALECT.SMB_3_0, sessionKey: E300.sessionKey });
  const session = new SessionEncryption({ cipher: CIPHER.AES_128_CCM, sessionId: SESSION, encryptionKey: keys.encryptionKey!, decryptionKey: keys.decryptionKey! });
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(session.encrypt(S.echo).subarray(20, 36).toString('hex'));
  t.is(seen.size, 2000);
  t.false(JSON.stringify(session).includes(keys.encryptionKey!.toString('hex')), 'the keys are not enumerable properties');
  const wrongFlags = Buffer.from(E300.transformedResponse);
  wrongFlags.writeUInt16LE(2, 42);
  t.throws(() => parseTransformHeader(wrongFlags), { message: /Flags 0x2/ });
  t.throws(() => parseTransformHeader(E300.transformedResponse.subarray(0, 100)), { message: /says 80 bytes, 48 follow/ });
  t.throws(() => parseTransformHeader(E300.writeResponse), { message: /not an SMB2 TRANSFORM_HEADER/ });
  t.throws(() => encryptMessage(S.echo, { cipher: CIPHER.AES_256_GCM, key: Buffer.alloc(16), sessionId: 1n, nonce: Buffer.alloc(12) }), { message: /needs a 32-byte key/ });
  t.throws(() => encryptMessage(S.echo, { cipher: CIPHER.AES_128_CCM, key: Buffer.alloc(16), sessionId: 1n, nonce: Buffer.alloc(12) }), { message: /11-byte nonce/ });
});

test('Direct TCP framing shared with the probe (2.1)', (t) => {
  const framed = Buffer.concat([frame(S.echo), frame(S.logoff).subarray(0, 10)]);
  t.is(framed.readUInt32BE(0), S.echo.length);
  t.is(framedLength(framed), 4 + S.echo.length);
  const first = unframe(framed);
  t.deepEqual(first?.message, S.echo);
  t.is(unframe(first!.rest), null, 'the second frame is incomplete');
  t.throws(() => framedLength(Buffer.from([0, 0x10, 0, 0, 0xfe]), 65536), { instanceOf: ProbeError, message: /out of range/ });
  t.throws(() => frame(Buffer.alloc(0x1000000)), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------------------------------------------
// Fuzz: every parser over 100,000 seeded inputs

fuzzTests(SMB2_FUZZ_TARGETS, 100_000, 16);
