/** DCE/RPC over a byte transport: the connection-oriented runtime and NDR 2.0 ([MS-RPCE], C706). */
export * from './auth.js';
export * from './client.js';
export * from './dtyp.js';
export * from './faults.js';
export * from './ndr.js';
export * from './pdu.js';
export * from './uuid.js';
export * from './ntlm-provider.js';
export * from './smb-pipe.js';
