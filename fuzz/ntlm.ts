/**
 * Fuzz targets for the NTLM layer (enum/ntlm): every decoder a hostile server can feed. Same shape as the targets
 * of fuzz/run.ts: a decoder may return or throw ProbeError (NtlmError is one); anything else is a crash.
 */
import { COMMON, V2 } from '../fixtures/ntlm-vectors.js';
import { type FuzzTarget, type Mutation, withMutation } from './harness.js';
import { SAMPLES } from '../fixtures/protocol-samples.js';
import { der, OID_NTLMSSP, OID_SPNEGO } from '../probes/ntlm/codec.js';
import { NtlmClient } from '../enum/ntlm/client.js';
import { CLIENT_FLAGS, parseChallengeMessage } from '../enum/ntlm/messages.js';
import { NtlmSession, SIGNATURE_LENGTH } from '../enum/ntlm/session.js';
import { NTLMSSP_MECH, NTLMSSP_MECH_TYPES, negTokenInit, negTokenResp, parseNegTokenInit, unwrapServerToken } from '../enum/ntlm/spnego.js';

/** NTLM's fields are little-endian, SPNEGO's DER lengths big-endian (0x81, 0x84 start long forms): both orders. */
const NTLM: Mutation = { order: 'mixed', hostile: [0, 1, 0x7f, 0x80, 0x81, 0x84, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff] };

const SESSION_KEY = COMMON.randomSessionKey;

// The server's first message of a session, genuine, as seeds: signature || message
const server = (): NtlmSession => new NtlmSession(SESSION_KEY, CLIENT_FLAGS, 'server');
const signedSeed = (() => {
  const message = Buffer.from('a DCE/RPC response PDU');
  return Buffer.concat([server().sign(message), message]);
})();
const sealedSeed = (() => {
  const { sealed, signature } = server().seal(Buffer.from('a sealed DCE/RPC stub'));
  return Buffer.concat([signature, sealed]);
})();

const client = new NtlmClient({
  domain: COMMON.domain, user: COMMON.user, password: COMMON.password, workstation: COMMON.workstation,
  randomBytes: (n) => Buffer.alloc(n, 0x5a), now: () => new Date(0),
});

/** A session that has just been set up, as the client sees it: each input meets the same state. */
const freshClientSession = (): NtlmSession => new NtlmSession(SESSION_KEY, CLIENT_FLAGS, 'client');

/**
 * The SPNEGO hint of an SMB2 NEGOTIATE response as Windows sends it ([MS-SPNG] 2.2.1 NegTokenInit2): MS-KRB5,
 * KRB5 and NTLMSSP offered, and the negHints placeholder name.
 */
export const SPNEGO_HINT = der(0x60, OID_SPNEGO, der(0xa0, der(0x30,
  der(0xa0, der(0x30, Buffer.from('06092a864882f712010202' + '06092a864886f712010202', 'hex'), OID_NTLMSSP)),
  der(0xa3, der(0x30, der(0xa0, der(0x1b, Buffer.from('not_defined_in_RFC4178@please_ignore', 'latin1'))))),
)));

export const NTLM_FUZZ_TARGETS: FuzzTarget[] = withMutation(NTLM, [
  { name: 'ntlm challenge (authenticated)', seeds: [V2.challenge, SAMPLES.ntlmChallenge], run: (b) => parseChallengeMessage(b) },
  { name: 'ntlm authenticate from challenge', seeds: [V2.challenge, SAMPLES.ntlmChallenge], run: (b) => client.authenticate(b) },
  {
    name: 'spnego negTokenResp',
    seeds: [
      negTokenResp({ negState: 'accept-incomplete', responseToken: SAMPLES.ntlmChallenge }),
      negTokenResp({ negState: 'accept-incomplete', supportedMech: NTLMSSP_MECH, responseToken: V2.challenge }),
      negTokenResp({ negState: 'accept-completed', mechListMic: server().sign(NTLMSSP_MECH_TYPES) }),
    ],
    run: (b) => unwrapServerToken(b),
  },
  {
    name: 'spnego negTokenInit',
    seeds: [negTokenInit(client.negotiate()), SPNEGO_HINT],
    run: (b) => parseNegTokenInit(b),
  },
  {
    name: 'ntlm signature verify',
    seeds: [signedSeed],
    run: (b) => freshClientSession().verify(b.subarray(SIGNATURE_LENGTH), b.subarray(0, SIGNATURE_LENGTH)),
  },
  {
    name: 'ntlm unseal',
    seeds: [sealedSeed],
    run: (b) => freshClientSession().unseal(b.subarray(SIGNATURE_LENGTH), b.subarray(0, SIGNATURE_LENGTH)),
  },
]);
