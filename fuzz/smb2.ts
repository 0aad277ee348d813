/**
 * Fuzz targets for the SMB2/3 codecs (enum/smb2): the header, every response parser, the TRANSFORM_HEADER parser,
 * decryption and signature verification, fed valid messages (fixtures/smb2-samples.ts, fixtures/smb2-vectors.ts)
 * and mutations of them. A target may return or throw ProbeError; any other exception is a crash, and an input
 * that takes over 100 ms (every time) is a hang. `SMB2_FUZZ_TARGETS` has the shape of fuzz/run.ts's targets.
 */
import { type FuzzTarget, type Mutation, withMutation } from './harness.js';
import { SMB2_SAMPLES as S } from '../fixtures/smb2-samples.js';
import { MS_ENCRYPTION_300, MS_ENCRYPTION_311, MS_PREAUTH } from '../fixtures/smb2-vectors.js';
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

/** SMB2 keeps its lengths, offsets and counts little-endian, most of them in the header and the first bytes of a body. */
const SMB2: Mutation = { order: 'le', head: 160 };

const framed = (m: Buffer): Buffer => Buffer.concat([Buffer.from([0, m.length >> 16, (m.length >> 8) & 0xff, m.length & 0xff]), m]);

export const SMB2_FUZZ_TARGETS: FuzzTarget[] = withMutation(SMB2, [
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
]);
