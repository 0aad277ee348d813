/** NTLMv2 ([MS-NLMP]) with session security, and its SPNEGO wrapping (RFC 4178), for SMB2 and DCE/RPC. */
export { NtlmClient, type NtlmAuthentication, type NtlmClientOptions } from './client.js';
export { NtlmSession, SIGNATURE_LENGTH } from './session.js';
export { NtlmError, NTLM_ERROR_CODES, type NtlmErrorCode } from './errors.js';
export {
  buildAuthenticate, buildNegotiate, CLIENT_FLAGS, CLIENT_VERSION, MIC_OFFSET, parseChallengeMessage, setMic,
  type AuthenticateFields, type ChallengeMessage,
} from './messages.js';
export { AV_FLAGS, clientTargetInfo, encodeAvPairs, parseAvPairs, type AvPair } from './av-pairs.js';
export {
  decryptSessionKey, encryptSessionKey, fileTime, keyExchangeKeyV2, lmowfv2, lmv2Response, ntlmv2ClientChallenge,
  ntlmv2Response, ntowfv1, ntowfv2, windowsUpper, type Ntlmv2Response,
} from './responses.js';
export { sealKey, signKey, type Mode } from './keys.js';
export {
  mechListMic, negTokenInit, negTokenResp, NEG_STATES, NTLMSSP_MECH, NTLMSSP_MECH_TYPES, parseNegTokenInit,
  parseNegTokenResp, SpnegoNtlmClient, unwrapServerToken, verifyMechListMic, type NegState, type NegTokenInit,
  type NegTokenResp,
} from './spnego.js';
export { md4 } from './md4.js';
export { Rc4, rc4k } from './rc4.js';
