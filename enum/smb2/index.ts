/**
 * SMB2/3 client codecs and cryptography ([MS-SMB2]). No I/O here: a session layer sends what these build and hands
 * back what it receives. The order a client of a named pipe on IPC$ follows, and where each piece fits:
 *
 *   1. negotiateRequest -> parseNegotiateResponse; with 3.1.1, PreauthHash over both (3.2.5.2).
 *   2. sessionSetupRequest carrying the GSS tokens (SPNEGO-wrapped NTLM) -> parseSessionSetupResponse, until
 *      moreProcessing is false; with 3.1.1 a fork of the connection's PreauthHash takes every leg but the final
 *      success response (updateSessionSetup).
 *   3. deriveKeys from the GSS session key (and the preauth hash and cipher for 3.1.1); verify the final
 *      SESSION_SETUP response's signature with signingKey and signingAlgorithmFor (3.2.5.3.1).
 *   4. From then on sign every request (sign) and check every response (verify), or, when the session or the share
 *      says encryptData, wrap them with SessionEncryption instead. 3.1.1 requires TREE_CONNECT signed or encrypted.
 *      3.0 and 3.0.2 clients check the negotiation with validateNegotiateInfoRequest after the first tree connect.
 *   5. treeConnectRequest(ipcPath(server)) -> createRequest({ name: 'samr' }) -> transceiveRequest (or
 *      writeRequest + readRequest), reading on while `more` (STATUS_BUFFER_OVERFLOW) -> closeRequest,
 *      treeDisconnectRequest, logoffRequest.
 *
 * A failure status arrives as Smb2StatusError (a ProbeError); a malformed message as ProbeError('protocol-error').
 *
 * Smb2Client (client.ts) runs that order over TCP (connection.ts: framing, message ids, credits, time limits) and
 * hands out Smb2Pipe objects (pipe.ts) that DCE/RPC takes as its transport (enum/dcerpc/smb-pipe.ts).
 */
export * from './constants.js';
export * from './header.js';
export * from './status.js';
export * from './negotiate.js';
export * from './session.js';
export * from './tree.js';
export * from './files.js';
export * from './ioctl.js';
export * from './preauth.js';
export * from './keys.js';
export * from './cmac.js';
export * from './signing.js';
export * from './transform.js';
export * from './framing.js';
export * from './connection.js';
export * from './client.js';
export * from './pipe.js';
