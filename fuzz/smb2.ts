/**
 * Fuzz targets for the SMB2/3 codecs (enum/smb2): the header, every response parser, the TRANSFORM_HEADER parser,
 * decryption and signature verification, fed valid messages (fixtures/smb2-samples.ts, fixtures/smb2-vectors.ts)
 * and mutations of them. A target may return or throw ProbeError; any other exception is a crash, and an input
 * that takes over 100 ms (every time) is a hang. `SMB2_FUZZ_TARGETS` has the shape of fuzz/run.ts's targets.
 */
import { prng } from '../fixtures/estate/plan.js';
import { SMB2_SAMPLES as S } from '../fixtures/smb2-samples.js';
import { MS_ENCRYPTION_300, MS_ENCRYPTION_311, MS_PREAUTH } from '../fixtures/smb2-vectors.js';
import { ProbeError } from '../probes/core/outcome.js';
import { CIPHER, FSCTL, SIGNING_ALGORITHM } from '../enum/smb2/constants.js';
import { parseCloseResponse, parseCreateResponse, parseReadResponse, parseWriteResponse } from '../enum/smb2/files.js';
import { unframe } from '../enum/smb2/framing.js';
import { parseHeader } from '../enum/smb2/header.js';
import { parseIoctlResponse, parseValidateNegotiateInfo } from '../enum/smb2/ioctl.js';
import { parseNegotiateResponse } from '../enum/smb2/negotiate.js';
import { parseEchoResponse, parseLogoffResponse, parseSessionSetupResponse } from '../enum/smb2/session.js';
import { verify } from '../enum/smb2/signing.js';
import { parseErrorResponse } from '../enum/smb2/status.js';
import { decryptMessage, parseTransformHeader } from '../enum/smb2/transform.js';
import { parseTreeConnectResponse, parseTreeDisconnectResponse } from '../enum/smb2/tree.js';

export type Smb2FuzzTarget = { name: string; seeds: Buffer[]; run: (input: Buffer) => unknown };

const framed = (m: Buffer): Buffer => Buffer.concat([Buffer.from([0, m.length >> 16, (m.length >> 8) & 0xff, m.length & 0xff]), m]);

export const SMB2_FUZZ_TARGETS: Smb2FuzzTarget[] = [
  { name: 'smb2 header', seeds: [MS_PREAUTH.negotiateRequest, S.interimPending, S.treeConnectPipe], run: (b) => parseHeader(b) },
  { name: 'smb2 negotiate response', seeds: [MS_PREAUTH.negotiateResponse, S.negotiate302, S.negotiate311], run: (b) => parseNegotiateResponse(b) },
  {
    name: 'smb2 session setup response',
    seeds: [MS_PREAUTH.sessionSetupResponse1, S.sessionSetupSuccess, S.sessionSetupGuest, S.errorLogonFailure],
    run: (b) => parseSessionSetupResponse(b),
  },
  { name: 'smb2 logoff response', seeds: [S.logoff], run: (b) => parseLogoffResponse(b) },
  { name: 'smb2 tree connect response', seeds: [S.treeConnectPipe, S.errorAccessDenied], run: (b) => parseTreeConnectResponse(b) },
  { name: 'smb2 tree disconnect response', seeds: [S.treeDisconnect], run: (b) => parseTreeDisconnectResponse(b) },
  { name: 'smb2 echo response', seeds: [S.echo], run: (b) => parseEchoResponse(b) },
  { name: 'smb2 create response', seeds: [S.createPipe, S.errorWithContexts], run: (b) => parseCreateResponse(b) },
  { name: 'smb2 close response', seeds: [S.close], run: (b) => parseCloseResponse(b) },
  { name: 'smb2 read response', seeds: [S.readOverflow, S.errorBufferTooSmall], run: (b) => parseReadResponse(b) },
  { name: 'smb2 write response', seeds: [S.write, MS_ENCRYPTION_300.writeResponse, MS_ENCRYPTION_311.writeResponse], run: (b) => parseWriteResponse(b) },
  {
    name: 'smb2 ioctl response',
    seeds: [S.ioctlTransceive, S.ioctlOverflow, S.ioctlValidateNegotiate, S.interimPending],
    run: (b) => {
      const r = parseIoctlResponse(b);
      return r.ctlCode === FSCTL.VALIDATE_NEGOTIATE_INFO ? parseValidateNegotiateInfo(r.output) : r;
    },
  },
  { name: 'smb2 error response', seeds: [S.errorLogonFailure, S.errorBufferTooSmall, S.errorWithContexts, S.interimPending], run: (b) => parseErrorResponse(b) },
  { name: 'smb2 transform header', seeds: [MS_ENCRYPTION_300.transformedRequest, MS_ENCRYPTION_311.transformedResponse], run: (b) => parseTransformHeader(b) },
  {
    name: 'smb2 decrypt',
    seeds: [MS_ENCRYPTION_300.transformedResponse, MS_ENCRYPTION_311.transformedResponse],
    run: (b) => {
      const ccm = b.length > 44 && b[44] === 0x11; // the 3.0 vector's session, else the 3.1.1 one
      return ccm
        ? decryptMessage(b, { cipher: CIPHER.AES_128_CCM, key: MS_ENCRYPTION_300.decryptionKey })
        : decryptMessage(b, { cipher: CIPHER.AES_128_GCM, key: MS_ENCRYPTION_311.decryptionKey });
    },
  },
  {
    name: 'smb2 signature verify',
    seeds: [S.sessionSetupSuccess, MS_ENCRYPTION_311.writeRequest],
    run: (b) => [SIGNING_ALGORITHM.HMAC_SHA256, SIGNING_ALGORITHM.AES_CMAC, SIGNING_ALGORITHM.AES_GMAC].map((a) => verify(b, MS_PREAUTH.signingKey, a)),
  },
  {
    name: 'smb2 framed stream',
    seeds: [Buffer.concat([framed(S.negotiate311), framed(S.sessionSetupSuccess)]), framed(MS_ENCRYPTION_300.transformedResponse)],
    run: (b) => {
      const out: unknown[] = [];
      for (let rest: Buffer = b, next = unframe(rest); next; rest = next.rest, next = unframe(rest)) out.push(next.message[0] === 0xfd ? parseTransformHeader(next.message) : parseHeader(next.message));
      return out;
    },
  },
];

/** Hostile values for length, offset and count fields, little-endian as SMB2 writes them. */
const HOSTILE = [0, 1, 7, 8, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** One mutation of a seed: bit flips, truncation, insertion, a hostile field value, duplication, or noise. */
export function mutate(seed: Buffer, random: () => number): Buffer {
  const b = Buffer.from(seed);
  const at = () => Math.floor(random() * Math.max(1, b.length));
  const choice = random();
  if (choice < 0.2) {
    for (let i = 0, n = 1 + Math.floor(random() * 8); i < n && b.length; i++) b[at()]! ^= 1 << Math.floor(random() * 8);
    return b;
  }
  if (choice < 0.35) return b.subarray(0, at());
  if (choice < 0.45) {
    const i = at();
    return Buffer.concat([b.subarray(0, i), Buffer.from(Array.from({ length: 1 + Math.floor(random() * 32) }, () => Math.floor(random() * 256))), b.subarray(i)]);
  }
  if (choice < 0.8) {
    // Offsets, lengths and counts are where parsers die: a hostile 8-, 16- or 32-bit little-endian value anywhere,
    // most often inside the header and the first bytes of the body, where SMB2 keeps them.
    const limit = random() < 0.7 ? Math.min(b.length, 160) : b.length;
    const v = HOSTILE[Math.floor(random() * HOSTILE.length)]!;
    const width = [1, 2, 4][Math.floor(random() * 3)]!;
    if (limit >= width) {
      const i = Math.floor(random() * (limit - width + 1));
      if (width === 1) b[i] = v & 0xff;
      else if (width === 2) b.writeUInt16LE(v & 0xffff, i);
      else b.writeUInt32LE(v >>> 0, i);
    }
    return b;
  }
  if (choice < 0.9) return Buffer.concat([b, b.subarray(0, at())]);
  return Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
}

/** An input slower than this every time is a hang. */
export const HANG_MS = 100;

export interface FuzzResult {
  readonly inputs: number;
  readonly accepted: number;
  /** The first few inputs that threw something other than ProbeError, with what they threw. */
  readonly crashes: readonly { readonly input: string; readonly error: string }[];
  readonly crashCount: number;
  readonly hangs: number;
  readonly worstMs: number;
}

function timeOnce(target: Smb2FuzzTarget, input: Buffer): number {
  const t0 = performance.now();
  try {
    target.run(input);
  } catch {
    // counted on the first run
  }
  return performance.now() - t0;
}

/** Runs one target over its seeds and then `inputs` mutations of them, deterministic for a seed. */
export function fuzzTarget(target: Smb2FuzzTarget, inputs: number, seed: number): FuzzResult {
  const random = prng(seed + target.name.length);
  const crashes: { input: string; error: string }[] = [];
  let crashCount = 0;
  let hangs = 0;
  let accepted = 0;
  let worstMs = 0;
  for (let i = 0; i < inputs; i++) {
    const base = target.seeds[i % target.seeds.length]!;
    const input = i < target.seeds.length ? base : mutate(base, random);
    const t0 = performance.now();
    try {
      target.run(input);
      accepted++;
    } catch (err) {
      if (!(err instanceof ProbeError)) {
        crashCount++;
        if (crashes.length < 3) crashes.push({ input: input.toString('hex').slice(0, 400), error: (err as Error).stack ?? String(err) });
      }
    }
    let ms = performance.now() - t0;
    // A slow input is timed twice more and counts by its fastest run: a real hang is slow every time, while a busy
    // machine (a garbage collection, another process) slows one run.
    for (let again = 0; again < 2 && ms > HANG_MS; again++) ms = Math.min(ms, timeOnce(target, input));
    worstMs = Math.max(worstMs, ms);
    if (ms > HANG_MS) hangs++;
  }
  return { inputs, accepted, crashes, crashCount, hangs, worstMs };
}
