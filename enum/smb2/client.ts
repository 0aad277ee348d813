/**
 * An SMB2/3 client of named pipes on IPC$, joining the codecs of this folder with NTLMv2 over SPNEGO (enum/ntlm):
 *
 *   connect      TCP, NEGOTIATE offering 2.0.2 to 3.1.1 with the 3.1.1 contexts ([MS-SMB2] 3.2.4.2.2.2)
 *   login        SESSION_SETUP, two legs of NTLM in SPNEGO, the 3.1.1 preauth hash, the keys (3.2.5.3); one
 *                attempt only, whatever the answer: a failed password is never sent twice (account lockout)
 *   openPipe     TREE_CONNECT to IPC$ (with the 3.0 / 3.0.2 VALIDATE_NEGOTIATE_INFO check, 3.2.5.5), CREATE
 *   close        CLOSE of every open pipe, TREE_DISCONNECT, LOGOFF, then the socket
 *
 * Once the session is set up, every request is signed when the server or the caller requires signing
 * (3.2.4.1.1), TREE_CONNECT always under 3.1.1 (3.2.4.3), and every signed response is verified (3.2.5.1.3): a
 * response that is unsigned or badly signed where a signature is due fails the call as a protocol error. When the
 * session or the share says ENCRYPT_DATA, requests go in a TRANSFORM_HEADER instead and so must the answers
 * (3.2.4.1.8, 3.2.5.1.1.1).
 *
 * A failure is a ProbeError: Smb2StatusError for a status the server returned (LOGON_FAILURE is auth-failed,
 * ACCOUNT_LOCKED_OUT and the others named in the message), Smb2PipeError for a pipe the server does not offer.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { ProbeError } from '../../probes/core/outcome.js';
import type { NtlmClientOptions } from '../ntlm/client.js';
import { SpnegoNtlmClient } from '../ntlm/spnego.js';
import { Arrival, CREDIT_TARGET, Smb2Connection } from './connection.js';
import {
  CAPABILITIES, CIPHER, Cipher, CIPHER_NAMES, COMMAND, commandName, DIALECT, DIALECT_NAMES, DIALECTS, FLAGS, SECURITY_MODE,
  SigningAlgorithm, SIGNING_ALGORITHM_NAMES,
} from './constants.js';
import { closeRequest, createRequest, FileId, parseCloseResponse, parseCreateResponse } from './files.js';
import { creditCharge, parseHeader, RequestHeader } from './header.js';
import { parseIoctlResponse, parseValidateNegotiateInfo, validateNegotiateInfoRequest } from './ioctl.js';
import { deriveKeys } from './keys.js';
import { NegotiateResponse, negotiateRequest, parseNegotiateResponse } from './negotiate.js';
import { PreauthHash } from './preauth.js';
import { logoffRequest, parseLogoffResponse, parseSessionSetupResponse, sessionSetupRequest } from './session.js';
import { sign, signingAlgorithmFor, verify } from './signing.js';
import { Smb2StatusError, NT_STATUS } from './status.js';
import { SessionEncryption } from './transform.js';
import { ipcPath, parseTreeConnectResponse, parseTreeDisconnectResponse, treeConnectRequest, treeDisconnectRequest } from './tree.js';
import { Smb2Pipe } from './pipe.js';

export interface Smb2ConnectOptions {
  /** The server's address or name (also the `\\server\IPC$` path unless `serverName` is given). */
  readonly address: string;
  /** @default 445 */
  readonly port?: number;
  /** Time for the TCP connect and for the answer to each request, in milliseconds. @default 30000 */
  readonly timeoutMs?: number;
  /** Aborting ends the connection; what is waiting fails with status `timeout`. */
  readonly signal?: AbortSignal;
  /** Dialects offered. @default every dialect from 2.0.2 to 3.1.1 */
  readonly dialects?: readonly number[];
  /** Sign every message of the session even when the server does not require it. @default false */
  readonly requireSigning?: boolean;
  /** Largest message accepted from the server, in bytes (after the 4-byte frame). @default 1048576 */
  readonly maxMessageBytes?: number;
  /** The server name in the IPC$ path and the 3.1.1 netname context. @default address */
  readonly serverName?: string;
}

/** What NEGOTIATE settled. */
export interface Smb2Negotiated {
  readonly dialect: number;
  /** "3.1.1", "3.0.2", ... */
  readonly dialectName: string;
  /** The server requires signed messages (SMB2_NEGOTIATE_SIGNING_REQUIRED). */
  readonly serverRequiresSigning: boolean;
  readonly capabilities: number;
  /** The cipher encryption would use: the 3.1.1 choice, AES-128-CCM for a 3.0.x server that can encrypt, else null. */
  readonly cipher: Cipher | null;
  readonly signingAlgorithm: SigningAlgorithm;
  readonly maxReadSize: number;
  readonly maxWriteSize: number;
  readonly maxTransactSize: number;
  readonly serverGuid: Buffer;
}

/** What SESSION_SETUP settled: how the rest of the conversation is protected. */
export interface Smb2SessionInfo {
  readonly sessionId: bigint;
  /** Requests after session setup are signed ([MS-SMB2] 3.2.4.1.1). */
  readonly signing: boolean;
  readonly signingAlgorithm: string;
  /** The whole session is encrypted (the server's SMB2_SESSION_FLAG_ENCRYPT_DATA). */
  readonly encryption: boolean;
  /** "AES-128-GCM", ... when the session or a share encrypts. */
  readonly cipher: string | null;
  /** The server's names from the NTLM challenge (for the evidence). */
  readonly serverNetbiosName: string | null;
  readonly serverNetbiosDomain: string | null;
  readonly serverDnsName: string | null;
}

/** Counts of what went over the wire since the session was set up: what a test asserts about signing and sealing. */
export interface Smb2Traffic {
  sent: number;
  sentSigned: number;
  sentEncrypted: number;
  received: number;
  /** Responses whose signature was checked and matched. */
  receivedSigned: number;
  receivedEncrypted: number;
}

/** A pipe the server does not offer (OBJECT_NAME_NOT_FOUND) or cannot serve now (PIPE_NOT_AVAILABLE: a stopped service). */
export class Smb2PipeError extends ProbeError {
  constructor(
    readonly pipe: string,
    readonly reason: 'not-found' | 'not-available',
    readonly statusName: string,
  ) {
    super('unsupported', reason === 'not-found'
      ? `the server has no pipe \\PIPE\\${pipe} (${statusName})`
      : `the pipe \\PIPE\\${pipe} is not available: its service is not running (${statusName})`);
    this.name = 'Smb2PipeError';
  }
}

/**
 * The server refused the logon (status `auth-failed`): `statusName` says why (STATUS_LOGON_FAILURE,
 * STATUS_ACCOUNT_LOCKED_OUT, STATUS_ACCOUNT_DISABLED, STATUS_PASSWORD_EXPIRED, ...).
 */
export class Smb2LogonError extends ProbeError {
  readonly ntStatus: number;
  readonly statusName: string;
  constructor(cause: Smb2StatusError, user: string, reason: string) {
    super(cause.status, `SMB2 logon of ${user} refused: ${reason} (${cause.statusName})`);
    this.name = 'Smb2LogonError';
    this.ntStatus = cause.ntStatus;
    this.statusName = cause.statusName;
  }
}

/** What the caller may choose for one request besides its body. */
export interface SendOptions {
  readonly treeId?: number;
  /** Bytes the request carries or asks for: its CreditCharge (3.1.5.2). @default 1 credit */
  readonly payloadBytes?: number;
  /** Sign even when the session would not (VALIDATE_NEGOTIATE_INFO, 3.1.1 TREE_CONNECT). @default false */
  readonly forceSign?: boolean;
}

/** Sizes of one pipe's I/O: smaller than a message, they make the server split it (STATUS_BUFFER_OVERFLOW). */
export interface PipeSizes {
  /** Bytes asked for by each READ. @default 65536, at most the server's MaxReadSize */
  readonly readBytes?: number;
  /** MaxOutputResponse of a transceive. @default 65536, at most the server's MaxTransactSize */
  readonly transactBytes?: number;
}

/** Statuses that name why an account cannot log on; LOGON_FAILURE alone says no more than "wrong user or password". */
const LOGON_REASONS: Readonly<Record<number, string>> = {
  [NT_STATUS.LOGON_FAILURE]: 'wrong user name or password',
  [NT_STATUS.ACCOUNT_LOCKED_OUT]: 'the account is locked out',
  [NT_STATUS.ACCOUNT_DISABLED]: 'the account is disabled',
  [NT_STATUS.PASSWORD_EXPIRED]: 'the password has expired',
  [NT_STATUS.PASSWORD_MUST_CHANGE]: 'the password must be changed first',
  [NT_STATUS.ACCOUNT_EXPIRED]: 'the account has expired',
  [NT_STATUS.ACCOUNT_RESTRICTION]: 'an account restriction refuses the logon',
  [NT_STATUS.INVALID_LOGON_HOURS]: 'outside the account\'s logon hours',
  [NT_STATUS.INVALID_WORKSTATION]: 'the account may not log on from this workstation',
  [NT_STATUS.LOGON_TYPE_NOT_GRANTED]: 'the account lacks the network logon right',
};

interface SetupLeg {
  readonly arrival: Arrival;
  readonly parsed: ReturnType<typeof parseSessionSetupResponse>;
}

type ClientOptions = Required<Omit<Smb2ConnectOptions, 'signal' | 'dialects'>> & { readonly dialects: readonly number[] };

const DEFAULTS = { port: 445, timeoutMs: 30_000, maxMessageBytes: 1024 * 1024 };
/** Reads and transceive outputs stay within one credit (64 KiB): a DCE/RPC fragment is far smaller. */
const IO_UNIT = 65536;

export class Smb2Client {
  readonly negotiated: Smb2Negotiated;
  readonly traffic: Smb2Traffic = { sent: 0, sentSigned: 0, sentEncrypted: 0, received: 0, receivedSigned: 0, receivedEncrypted: 0 };
  readonly #conn: Smb2Connection;
  readonly #options: ClientOptions;
  readonly #negotiate: NegotiateResponse;
  readonly #preauth: PreauthHash | null;
  readonly #clientGuid: Buffer;
  readonly #securityMode: number;
  readonly #capabilities: number;
  #session: Smb2SessionInfo | null = null;
  #sessionId = 0n;
  #signingKey: Buffer | null = null;
  #signAll = false;
  #encryption: SessionEncryption | null = null;
  #encryptAll = false;
  #ipcTree: number | null = null;
  #ipcEncrypted = false;
  #loginAttempted = false;
  #negotiationValidated = false;
  #closing: Promise<void> | null = null;
  readonly #pipes = new Set<Smb2Pipe>();

  private constructor(conn: Smb2Connection, options: ClientOptions, setup: {
    negotiate: NegotiateResponse; preauth: PreauthHash | null; clientGuid: Buffer; securityMode: number; capabilities: number;
  }) {
    this.#conn = conn;
    this.#options = options;
    this.#negotiate = setup.negotiate;
    this.#preauth = setup.preauth;
    this.#clientGuid = setup.clientGuid;
    this.#securityMode = setup.securityMode;
    this.#capabilities = setup.capabilities;
    const n = setup.negotiate;
    let cipher: Cipher | null = null;
    if (n.dialect === DIALECT.SMB_3_1_1) cipher = n.cipher;
    else if ((n.dialect === DIALECT.SMB_3_0 || n.dialect === DIALECT.SMB_3_0_2) && n.capabilities & CAPABILITIES.ENCRYPTION) cipher = CIPHER.AES_128_CCM;
    this.negotiated = {
      dialect: n.dialect,
      dialectName: DIALECT_NAMES[n.dialect] ?? `0x${n.dialect.toString(16)}`,
      serverRequiresSigning: (n.securityMode & SECURITY_MODE.SIGNING_REQUIRED) !== 0,
      capabilities: n.capabilities,
      cipher,
      signingAlgorithm: signingAlgorithmFor(n.dialect, n.signingAlgorithm),
      maxReadSize: n.maxReadSize,
      maxWriteSize: n.maxWriteSize,
      maxTransactSize: n.maxTransactSize,
      serverGuid: n.serverGuid,
    };
  }

  /**
   * Opens the TCP connection and negotiates ([MS-SMB2] 3.2.4.2.2.2, 3.2.5.2). An SMB1-only server, or one that
   * drops an SMB2 NEGOTIATE unanswered, is `unsupported`; so is a server that picks a dialect we did not offer.
   */
  static async connect(options: Smb2ConnectOptions): Promise<Smb2Client> {
    const o = {
      port: options.port ?? DEFAULTS.port,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
      requireSigning: options.requireSigning ?? false,
      serverName: options.serverName ?? options.address,
      address: options.address,
      dialects: options.dialects ?? DIALECTS,
    };
    for (const key of ['timeoutMs', 'maxMessageBytes'] as const) {
      if (!Number.isInteger(o[key]) || o[key] <= 0) throw new RangeError(`${key} must be a positive integer, got ${o[key]}`);
    }
    if (o.dialects.length === 0 || o.dialects.some((d) => !(DIALECTS as readonly number[]).includes(d))) {
      throw new RangeError(`dialects must be among ${DIALECTS.map((d) => DIALECT_NAMES[d]).join(', ')}`);
    }
    const holder: { decrypt: (data: Buffer) => Buffer } = {
      decrypt: () => {
        throw new ProbeError('protocol-error', 'the server sent an encrypted message before a session was set up');
      },
    };
    const conn = await Smb2Connection.open({
      address: o.address, port: o.port, timeoutMs: o.timeoutMs, maxMessageBytes: Math.max(o.maxMessageBytes, 4096),
      ...(options.signal ? { signal: options.signal } : {}),
      decrypt: (data) => holder.decrypt(data),
    });
    try {
      const securityMode = SECURITY_MODE.SIGNING_ENABLED | (o.requireSigning ? SECURITY_MODE.SIGNING_REQUIRED : 0);
      const capabilities = CAPABILITIES.ENCRYPTION | CAPABILITIES.LARGE_MTU;
      const clientGuid = randomBytes(16);
      const messageId = await conn.reserve(1);
      const request = negotiateRequest({ messageId, creditRequest: CREDIT_TARGET }, {
        dialects: o.dialects, securityMode, capabilities, clientGuid, netName: o.serverName,
      });
      let arrival: Arrival;
      try {
        arrival = await conn.exchange(messageId, COMMAND.NEGOTIATE, request);
      } catch (err) {
        // SMB1-only servers close or reset a connection whose first message is SMB2 ([MS-SMB2] 3.3.5.3 is theirs to ignore).
        if (err instanceof ProbeError && err.status === 'protocol-error' && /closed the connection|ECONNRESET/.test(err.message)) {
          throw new ProbeError('unsupported', `${o.address}:${o.port} closed the connection on an SMB2 NEGOTIATE without answering: it speaks SMB1 only, or none of the offered dialects`);
        }
        throw err;
      }
      const negotiate = parseNegotiateResponse(arrival.message);
      if (!o.dialects.includes(negotiate.dialect)) {
        throw new ProbeError('unsupported', `the server chose dialect 0x${negotiate.dialect.toString(16)}, which was not offered`);
      }
      let preauth: PreauthHash | null = null;
      if (negotiate.dialect === DIALECT.SMB_3_1_1) {
        if (negotiate.preauth?.hashAlgorithm !== 1) throw new ProbeError('protocol-error', 'the server chose a preauth integrity hash other than SHA-512');
        preauth = new PreauthHash().update(request).update(arrival.message);
      }
      const client = new Smb2Client(conn, o, { negotiate, preauth, clientGuid, securityMode, capabilities });
      holder.decrypt = (data) => client.#decrypt(data);
      return client;
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  /** Whether a 3.0 / 3.0.2 negotiation was confirmed by VALIDATE_NEGOTIATE_INFO (false for other dialects). */
  get negotiationValidated(): boolean {
    return this.#negotiationValidated;
  }

  /** The session's protection, once `login` has succeeded. */
  get session(): Smb2SessionInfo | null {
    return this.#session;
  }

  /**
   * One NTLMv2 logon in SPNEGO ([MS-SMB2] 3.2.4.2.3, 3.2.5.3). Called at most once per connection: a refused
   * credential fails with status `auth-failed` and is never retried here or by a second call. A guest or anonymous
   * session is refused as `auth-failed` too: the credential was not what the server accepted.
   */
  async login(credential: NtlmClientOptions): Promise<Smb2SessionInfo> {
    if (this.#loginAttempted) throw new Error('Smb2Client.login: one logon per connection (a refused password is never sent twice)');
    this.#loginAttempted = true;
    const dialect = this.negotiated.dialect;
    const spnego = new SpnegoNtlmClient(credential);
    const chain = this.#preauth?.fork() ?? null;

    const first = await this.#setupLeg(spnego.initialToken(), chain);
    if (!first.parsed.moreProcessing) throw new ProbeError('protocol-error', 'the server ended SESSION_SETUP after the NTLM NEGOTIATE');
    this.#sessionId = first.parsed.header.sessionId;
    const { token, auth } = spnego.respond(first.parsed.securityBuffer);

    let second: SetupLeg;
    try {
      second = await this.#setupLeg(token, chain);
    } catch (err) {
      if (err instanceof Smb2StatusError && LOGON_REASONS[err.ntStatus] !== undefined) {
        const user = credential.domain ? `${credential.domain}\\${credential.user}` : credential.user;
        throw new Smb2LogonError(err, user, LOGON_REASONS[err.ntStatus]!);
      }
      throw err;
    }
    const final = second.parsed;
    if (final.moreProcessing) throw new ProbeError('protocol-error', 'the server asked for a third SESSION_SETUP leg; NTLM has two');
    if (final.isGuest || final.isNull) throw new ProbeError('auth-failed', `the server gave a ${final.isGuest ? 'guest' : 'anonymous'} session: the credential was not accepted`);
    spnego.finish(final.securityBuffer);

    const keys = deriveKeys({ dialect, sessionKey: auth.sessionKey, ...(chain ? { preauthHash: chain.value } : {}), cipher: this.negotiated.cipher });
    this.#signingKey = keys.signingKey;
    // [MS-SMB2] 3.2.5.3.1: the final response is signed under 3.1.1, and whenever the session signs.
    const signedFinal = (final.header.flags & FLAGS.SIGNED) !== 0;
    if (signedFinal && !verify(second.arrival.message, keys.signingKey, this.negotiated.signingAlgorithm)) {
      throw new ProbeError('protocol-error', 'the signature of the final SESSION_SETUP response does not verify');
    }
    if (!signedFinal && (dialect === DIALECT.SMB_3_1_1 || this.negotiated.serverRequiresSigning || this.#options.requireSigning)) {
      throw new ProbeError('protocol-error', 'the final SESSION_SETUP response is not signed where a signature is required');
    }
    const cipher = this.negotiated.cipher;
    if (cipher !== null && keys.encryptionKey && keys.decryptionKey) {
      this.#encryption = new SessionEncryption({ cipher, sessionId: this.#sessionId, encryptionKey: keys.encryptionKey, decryptionKey: keys.decryptionKey });
    }
    if (final.encryptData) {
      if (!this.#encryption) throw new ProbeError('unsupported', `the server requires encryption, which dialect ${this.negotiated.dialectName} without a common cipher cannot give`);
      this.#encryptAll = true;
    }
    this.#signAll = !this.#encryptAll && (this.negotiated.serverRequiresSigning || this.#options.requireSigning);
    const challenge = auth.challenge;
    this.#session = {
      sessionId: this.#sessionId,
      signing: this.#signAll,
      signingAlgorithm: SIGNING_ALGORITHM_NAMES[this.negotiated.signingAlgorithm],
      encryption: this.#encryptAll,
      cipher: this.#encryptAll && cipher !== null ? CIPHER_NAMES[cipher] : null,
      serverNetbiosName: challenge.server.nbComputerName ?? null,
      serverNetbiosDomain: challenge.server.nbDomainName ?? null,
      serverDnsName: challenge.server.dnsComputerName ?? null,
    };
    return this.#session;
  }

  async #setupLeg(token: Buffer, chain: PreauthHash | null): Promise<SetupLeg> {
    const messageId = await this.#conn.reserve(1);
    const request = sessionSetupRequest(this.#header(messageId, 1), { securityBuffer: token, securityMode: this.#securityMode });
    chain?.updateSessionSetup(request);
    const arrival = await this.#conn.exchange(messageId, COMMAND.SESSION_SETUP, request);
    if (arrival.encrypted) throw new ProbeError('protocol-error', 'an encrypted SESSION_SETUP response to a request in clear');
    chain?.updateSessionSetup(arrival.message);
    return { arrival, parsed: parseSessionSetupResponse(arrival.message) };
  }

  #header(messageId: bigint, charge: number, treeId = 0): RequestHeader {
    const want = Math.max(charge, CREDIT_TARGET - this.#conn.credits);
    return {
      messageId,
      sessionId: this.#sessionId,
      treeId,
      // [MS-SMB2] 2.2.1.2: CreditCharge is reserved in 2.0.2
      creditCharge: this.negotiated?.dialect === DIALECT.SMB_2_0_2 ? 0 : charge,
      creditRequest: Math.min(Math.max(1, want), 0xffff),
    };
  }

  #decrypt(data: Buffer): Buffer {
    if (!this.#encryption) throw new ProbeError('protocol-error', 'the server sent an encrypted message on a session without encryption keys');
    return this.#encryption.decrypt(data);
  }

  /**
   * Sends one request of the established session and returns the response, signed or encrypted as the session and
   * the tree say, with the response's protection checked. `build` makes the message from the header fields.
   */
  async send(command: number, build: (h: RequestHeader) => Buffer, o: SendOptions = {}): Promise<Buffer> {
    if (!this.#session) throw new Error(`Smb2Client: ${commandName(command)} before login`);
    const large = this.negotiated.dialect !== DIALECT.SMB_2_0_2 && (this.negotiated.capabilities & CAPABILITIES.LARGE_MTU) !== 0;
    const charge = large ? creditCharge(o.payloadBytes ?? 1) : 1;
    const messageId = await this.#conn.reserve(charge);
    const message = build(this.#header(messageId, charge, o.treeId ?? 0));
    const encrypt = this.#encryption !== null && (this.#encryptAll || (o.treeId !== undefined && o.treeId === this.#ipcTree && this.#ipcEncrypted));
    const signed = !encrypt && (this.#signAll || o.forceSign === true);
    let wire = message;
    if (encrypt) wire = this.#encryption!.encrypt(message);
    else if (signed) sign(message, this.#signingKey!, this.negotiated.signingAlgorithm);
    this.traffic.sent++;
    if (encrypt) this.traffic.sentEncrypted++;
    if (signed) this.traffic.sentSigned++;
    const arrival = await this.#conn.exchange(messageId, command, wire);
    this.traffic.received++;
    return this.#checkResponse(arrival, command, encrypt, signed);
  }

  #checkResponse(arrival: Arrival, command: number, encrypted: boolean, signed: boolean): Buffer {
    const what = `the SMB2 ${commandName(command)} response`;
    if (arrival.encrypted) {
      this.traffic.receivedEncrypted++;
      return arrival.message;
    }
    if (encrypted) throw new ProbeError('protocol-error', `${what} came in clear on an encrypted session`);
    const header = parseHeader(arrival.message);
    if (header.flags & FLAGS.SIGNED) {
      if (!verify(arrival.message, this.#signingKey!, this.negotiated.signingAlgorithm)) throw new ProbeError('protocol-error', `the signature of ${what} does not verify`);
      this.traffic.receivedSigned++;
    } else if (signed) {
      throw new ProbeError('protocol-error', `${what} is not signed on a session that requires signatures`);
    }
    return arrival.message;
  }

  /**
   * TREE_CONNECT to `\\server\IPC$` once ([MS-SMB2] 3.2.4.2.4), then for 3.0 and 3.0.2 the signed
   * FSCTL_VALIDATE_NEGOTIATE_INFO that detects a downgraded NEGOTIATE (3.2.5.5, 3.2.4.20.13).
   */
  async #ipc(): Promise<number> {
    if (this.#ipcTree !== null) return this.#ipcTree;
    const path = ipcPath(this.#options.serverName);
    const response = parseTreeConnectResponse(await this.send(COMMAND.TREE_CONNECT, (h) => treeConnectRequest(h, path), {
      forceSign: this.negotiated.dialect === DIALECT.SMB_3_1_1 && !this.#encryptAll,
    }));
    if (!response.isPipe) throw new ProbeError('protocol-error', `${path} is not a pipe share (share type ${response.shareType})`);
    this.#ipcTree = response.treeId;
    if (response.encryptData && !this.#encryptAll) {
      if (!this.#encryption) throw new ProbeError('unsupported', `${path} requires encryption, which dialect ${this.negotiated.dialectName} without a common cipher cannot give`);
      this.#ipcEncrypted = true;
    }
    const d = this.negotiated.dialect;
    if (d === DIALECT.SMB_3_0 || d === DIALECT.SMB_3_0_2) await this.#validateNegotiate(response.treeId);
    return response.treeId;
  }

  async #validateNegotiate(treeId: number): Promise<void> {
    const v = { capabilities: this.#capabilities, guid: this.#clientGuid, securityMode: this.#securityMode, dialects: this.#options.dialects };
    const response = parseIoctlResponse(await this.send(COMMAND.IOCTL, (h) => validateNegotiateInfoRequest(h, v), { treeId, forceSign: true }));
    const got = parseValidateNegotiateInfo(response.output);
    const n = this.#negotiate;
    if (got.dialect !== n.dialect || got.securityMode !== n.securityMode || got.capabilities !== n.capabilities || !got.guid.equals(n.serverGuid)) {
      throw new ProbeError('protocol-error', 'VALIDATE_NEGOTIATE_INFO does not match the NEGOTIATE response: the negotiation was tampered with');
    }
    this.#negotiationValidated = true;
  }

  /**
   * Opens `\PIPE\<name>` on IPC$ ([MS-SMB2] 3.2.4.3.6). A pipe the server does not have, or whose service is
   * stopped, is an Smb2PipeError (`unsupported`) naming it.
   */
  async openPipe(name: string, sizes: PipeSizes = {}): Promise<Smb2Pipe> {
    const pipe = name.replace(/^\\?(PIPE\\)?/i, '');
    if (!pipe || /[\\/]/.test(pipe)) throw new RangeError(`a pipe name like "samr" or "\\PIPE\\samr", got "${name}"`);
    const treeId = await this.#ipc();
    let fileId: FileId;
    try {
      fileId = parseCreateResponse(await this.send(COMMAND.CREATE, (h) => createRequest(h, { name: pipe }), { treeId })).fileId;
    } catch (err) {
      if (err instanceof Smb2StatusError) {
        if (err.ntStatus === NT_STATUS.OBJECT_NAME_NOT_FOUND || err.ntStatus === NT_STATUS.NO_SUCH_FILE) throw new Smb2PipeError(pipe, 'not-found', err.statusName);
        if (err.ntStatus === NT_STATUS.PIPE_NOT_AVAILABLE) throw new Smb2PipeError(pipe, 'not-available', err.statusName);
      }
      throw err;
    }
    const opened = new Smb2Pipe(this, pipe, treeId, fileId, {
      readBytes: Math.min(sizes.readBytes ?? IO_UNIT, this.negotiated.maxReadSize),
      writeBytes: Math.min(IO_UNIT, this.negotiated.maxWriteSize),
      transactBytes: Math.min(sizes.transactBytes ?? IO_UNIT, this.negotiated.maxTransactSize),
      onClose: () => this.#pipes.delete(opened),
    });
    this.#pipes.add(opened);
    return opened;
  }

  /** CLOSE of a handle; used by Smb2Pipe. */
  async closeFile(treeId: number, fileId: FileId): Promise<void> {
    parseCloseResponse(await this.send(COMMAND.CLOSE, (h) => closeRequest(h, fileId), { treeId }));
  }

  /**
   * Closes the open pipes, disconnects the tree, logs off and ends the connection. Never throws: a server that
   * went away or will not answer is simply left. Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        if (!this.#conn.closed && this.#session) {
          for (const pipe of [...this.#pipes]) await pipe.close();
          if (this.#ipcTree !== null) {
            const treeId = this.#ipcTree;
            this.#ipcTree = null;
            parseTreeDisconnectResponse(await this.send(COMMAND.TREE_DISCONNECT, (h) => treeDisconnectRequest(h), { treeId }));
          }
          parseLogoffResponse(await this.send(COMMAND.LOGOFF, (h) => logoffRequest(h)));
        }
      } catch {
        // The connection ends below either way.
      } finally {
        this.#conn.destroy();
      }
    })();
    return this.#closing;
  }

  [inspect.custom](): string {
    return `Smb2Client { ${this.#options.address}:${this.#options.port}, dialect ${this.negotiated.dialectName}${this.#session ? ', logged on' : ''} }`;
  }
}

