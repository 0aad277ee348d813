/**
 * [MS-SMB2] wire constants a client of IPC$ named pipes needs, as `as const` tables with derived unions. The dialect
 * list, security mode bits and the protocol id are shared with the anonymous probe (probes/smb/codec.ts).
 */
import { DIALECT_NAMES, DIALECTS, SECURITY_MODE, SMB2_MAGIC } from '../../probes/smb/codec.js';

export { DIALECT_NAMES, DIALECTS, SECURITY_MODE, SMB2_MAGIC };

type ValueOf<T> = T[keyof T];

/** [MS-SMB2] 2.2.1 The size of the SMB2 header, sync (2.2.1.2) or async (2.2.1.1). */
export const HEADER_SIZE = 64;

/** [MS-SMB2] 2.2.1.2 Command codes. */
export const COMMAND = {
  NEGOTIATE: 0x0000,
  SESSION_SETUP: 0x0001,
  LOGOFF: 0x0002,
  TREE_CONNECT: 0x0003,
  TREE_DISCONNECT: 0x0004,
  CREATE: 0x0005,
  CLOSE: 0x0006,
  FLUSH: 0x0007,
  READ: 0x0008,
  WRITE: 0x0009,
  LOCK: 0x000a,
  IOCTL: 0x000b,
  CANCEL: 0x000c,
  ECHO: 0x000d,
  QUERY_DIRECTORY: 0x000e,
  CHANGE_NOTIFY: 0x000f,
  QUERY_INFO: 0x0010,
  SET_INFO: 0x0011,
  OPLOCK_BREAK: 0x0012,
} as const;
export type Command = ValueOf<typeof COMMAND>;

const COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(COMMAND).map(([k, v]) => [v, k]));

/** `TREE_CONNECT`, or the code in hex for one this table does not know. */
export function commandName(command: number): string {
  return COMMAND_NAMES[command] ?? `command 0x${command.toString(16).padStart(4, '0')}`;
}

/** [MS-SMB2] 2.2.1.2 Flags. */
export const FLAGS = {
  SERVER_TO_REDIR: 0x00000001,
  ASYNC_COMMAND: 0x00000002,
  RELATED_OPERATIONS: 0x00000004,
  SIGNED: 0x00000008,
  PRIORITY_MASK: 0x00000070,
  DFS_OPERATIONS: 0x10000000,
  REPLAY_OPERATION: 0x20000000,
} as const;

/** [MS-SMB2] 2.2.3 DialectRevision values. */
export const DIALECT = { SMB_2_0_2: 0x0202, SMB_2_1: 0x0210, SMB_3_0: 0x0300, SMB_3_0_2: 0x0302, SMB_3_1_1: 0x0311 } as const;
export type Dialect = ValueOf<typeof DIALECT>;

/** [MS-SMB2] 2.2.3 / 2.2.4 Capabilities. */
export const CAPABILITIES = {
  DFS: 0x00000001,
  LEASING: 0x00000002,
  LARGE_MTU: 0x00000004,
  MULTI_CHANNEL: 0x00000008,
  PERSISTENT_HANDLES: 0x00000010,
  DIRECTORY_LEASING: 0x00000020,
  ENCRYPTION: 0x00000040,
  NOTIFICATIONS: 0x00000080,
} as const;

/** [MS-SMB2] 2.2.3.1 ContextType values. */
export const NEGOTIATE_CONTEXT = {
  PREAUTH_INTEGRITY_CAPABILITIES: 0x0001,
  ENCRYPTION_CAPABILITIES: 0x0002,
  COMPRESSION_CAPABILITIES: 0x0003,
  NETNAME_NEGOTIATE_CONTEXT_ID: 0x0005,
  TRANSPORT_CAPABILITIES: 0x0006,
  RDMA_TRANSFORM_CAPABILITIES: 0x0007,
  SIGNING_CAPABILITIES: 0x0008,
} as const;

/** [MS-SMB2] 2.2.3.1.1 HashAlgorithms. */
export const HASH_ALGORITHM = { SHA_512: 0x0001 } as const;

/** [MS-SMB2] 2.2.3.1.2 Ciphers. */
export const CIPHER = { AES_128_CCM: 0x0001, AES_128_GCM: 0x0002, AES_256_CCM: 0x0003, AES_256_GCM: 0x0004 } as const;
export type Cipher = ValueOf<typeof CIPHER>;
export const CIPHER_NAMES: Record<Cipher, string> = { 1: 'AES-128-CCM', 2: 'AES-128-GCM', 3: 'AES-256-CCM', 4: 'AES-256-GCM' };

/** [MS-SMB2] 2.2.3.1.7 SigningAlgorithms. */
export const SIGNING_ALGORITHM = { HMAC_SHA256: 0x0000, AES_CMAC: 0x0001, AES_GMAC: 0x0002 } as const;
export type SigningAlgorithm = ValueOf<typeof SIGNING_ALGORITHM>;
export const SIGNING_ALGORITHM_NAMES: Record<SigningAlgorithm, string> = { 0: 'HMAC-SHA256', 1: 'AES-128-CMAC', 2: 'AES-128-GMAC' };

/** [MS-SMB2] 2.2.5 SESSION_SETUP Request Flags. */
export const SESSION_SETUP_FLAGS = { BINDING: 0x01 } as const;

/** [MS-SMB2] 2.2.6 SESSION_SETUP Response SessionFlags. */
export const SESSION_FLAGS = { IS_GUEST: 0x0001, IS_NULL: 0x0002, ENCRYPT_DATA: 0x0004 } as const;

/** [MS-SMB2] 2.2.9 TREE_CONNECT Request Flags (3.1.1). */
export const TREE_CONNECT_FLAGS = { CLUSTER_RECONNECT: 0x0001, REDIRECT_TO_OWNER: 0x0002, EXTENSION_PRESENT: 0x0004 } as const;

/** [MS-SMB2] 2.2.10 TREE_CONNECT Response ShareType. */
export const SHARE_TYPE = { DISK: 0x01, PIPE: 0x02, PRINT: 0x03 } as const;

/** [MS-SMB2] 2.2.10 TREE_CONNECT Response ShareFlags (the caching policy is the 0x30 field). */
export const SHARE_FLAGS = {
  DFS: 0x00000001,
  DFS_ROOT: 0x00000002,
  CACHING_MASK: 0x00000030,
  RESTRICT_EXCLUSIVE_OPENS: 0x00000100,
  FORCE_SHARED_DELETE: 0x00000200,
  ALLOW_NAMESPACE_CACHING: 0x00000400,
  ACCESS_BASED_DIRECTORY_ENUM: 0x00000800,
  FORCE_LEVELII_OPLOCK: 0x00001000,
  ENABLE_HASH_V1: 0x00002000,
  ENABLE_HASH_V2: 0x00004000,
  ENCRYPT_DATA: 0x00008000,
  IDENTITY_REMOTING: 0x00040000,
  COMPRESS_DATA: 0x00100000,
  ISOLATED_TRANSPORT: 0x00200000,
} as const;

/** [MS-SMB2] 2.2.10 TREE_CONNECT Response Capabilities. */
export const SHARE_CAPABILITIES = {
  DFS: 0x00000008,
  CONTINUOUS_AVAILABILITY: 0x00000010,
  SCALEOUT: 0x00000020,
  CLUSTER: 0x00000040,
  ASYMMETRIC: 0x00000080,
  REDIRECT_TO_OWNER: 0x00000100,
} as const;

/** [MS-SMB2] 2.2.13 RequestedOplockLevel / 2.2.14 OplockLevel. */
export const OPLOCK_LEVEL = { NONE: 0x00, II: 0x01, EXCLUSIVE: 0x08, BATCH: 0x09, LEASE: 0xff } as const;

/** [MS-SMB2] 2.2.13 ImpersonationLevel. */
export const IMPERSONATION = { ANONYMOUS: 0, IDENTIFICATION: 1, IMPERSONATION: 2, DELEGATE: 3 } as const;

/** [MS-SMB2] 2.2.13.1.1 File_Pipe_Printer_Access_Mask (with the generic bits of [MS-DTYP] 2.4.3). */
export const FILE_ACCESS = {
  READ_DATA: 0x00000001,
  WRITE_DATA: 0x00000002,
  APPEND_DATA: 0x00000004,
  READ_EA: 0x00000008,
  WRITE_EA: 0x00000010,
  EXECUTE: 0x00000020,
  DELETE_CHILD: 0x00000040,
  READ_ATTRIBUTES: 0x00000080,
  WRITE_ATTRIBUTES: 0x00000100,
  DELETE: 0x00010000,
  READ_CONTROL: 0x00020000,
  WRITE_DAC: 0x00040000,
  WRITE_OWNER: 0x00080000,
  SYNCHRONIZE: 0x00100000,
  ACCESS_SYSTEM_SECURITY: 0x01000000,
  MAXIMUM_ALLOWED: 0x02000000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
} as const;

/**
 * What a DCE/RPC client asks of a named pipe: read and write data, attributes and extended attributes, READ_CONTROL
 * and SYNCHRONIZE (0x0012019f, the mask Windows and impacket use on \PIPE\ opens).
 */
export const PIPE_ACCESS =
  FILE_ACCESS.READ_DATA | FILE_ACCESS.WRITE_DATA | FILE_ACCESS.APPEND_DATA | FILE_ACCESS.READ_EA | FILE_ACCESS.WRITE_EA |
  FILE_ACCESS.READ_ATTRIBUTES | FILE_ACCESS.WRITE_ATTRIBUTES | FILE_ACCESS.READ_CONTROL | FILE_ACCESS.SYNCHRONIZE;

/** [MS-SMB2] 2.2.13 ShareAccess. */
export const SHARE_ACCESS = { READ: 0x1, WRITE: 0x2, DELETE: 0x4 } as const;

/** [MS-SMB2] 2.2.13 CreateDisposition. */
export const CREATE_DISPOSITION = { SUPERSEDE: 0, OPEN: 1, CREATE: 2, OPEN_IF: 3, OVERWRITE: 4, OVERWRITE_IF: 5 } as const;

/** [MS-SMB2] 2.2.13 CreateOptions (those a pipe or plain file client meets). */
export const CREATE_OPTIONS = {
  DIRECTORY_FILE: 0x00000001,
  WRITE_THROUGH: 0x00000002,
  SEQUENTIAL_ONLY: 0x00000004,
  NO_INTERMEDIATE_BUFFERING: 0x00000008,
  SYNCHRONOUS_IO_ALERT: 0x00000010,
  SYNCHRONOUS_IO_NONALERT: 0x00000020,
  NON_DIRECTORY_FILE: 0x00000040,
  NO_EA_KNOWLEDGE: 0x00000200,
  RANDOM_ACCESS: 0x00000800,
  DELETE_ON_CLOSE: 0x00001000,
  OPEN_REPARSE_POINT: 0x00200000,
} as const;

/** [MS-SMB2] 2.2.14 CreateAction. */
export const CREATE_ACTION = { SUPERSEDED: 0, OPENED: 1, CREATED: 2, OVERWRITTEN: 3 } as const;

/** [MS-SMB2] 2.2.15 CLOSE Request Flags. */
export const CLOSE_FLAGS = { POSTQUERY_ATTRIB: 0x0001 } as const;

/** [MS-SMB2] 2.2.19 READ Request Flags. */
export const READ_FLAGS = { UNBUFFERED: 0x01, REQUEST_COMPRESSED: 0x02 } as const;

/** [MS-SMB2] 2.2.21 WRITE Request Flags. */
export const WRITE_FLAGS = { WRITE_THROUGH: 0x00000001, WRITE_UNBUFFERED: 0x00000002 } as const;

/** [MS-SMB2] 2.2.31 IOCTL CtlCode values a named-pipe client uses ([MS-FSCC] 2.3). */
export const FSCTL = {
  PIPE_PEEK: 0x0011400c,
  PIPE_WAIT: 0x00110018,
  PIPE_TRANSCEIVE: 0x0011c017,
  VALIDATE_NEGOTIATE_INFO: 0x00140204,
} as const;

/** [MS-SMB2] 2.2.31 IOCTL Request Flags. */
export const IOCTL_FLAGS = { IS_IOCTL: 0x00000000, IS_FSCTL: 0x00000001 } as const;
