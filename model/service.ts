/** The profile of one open port and of a host's OS, as the fingerprint rules settled them. */
import type { ProbeOutcome } from './evidence.js';

export const SERVICES = [
  'ssh', 'http', 'https', 'pop3', 'pop3s', 'imap', 'imaps', 'smtp', 'ftp', 'telnet', 'ldap', 'ldaps', 'rdp', 'smb',
  'netbios-ssn', 'msrpc', 'mysql', 'postgresql', 'mssql', 'oracle-tns', 'mongodb', 'sybase', 'teradata', 'snmp', 'vnc',
  'winrm', 'tls', 'unknown',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface FieldSource {
  readonly rule: string;
  readonly port: number;
  /** A credentialed source: the stored credential's name, the scan that enumerated, and the command that said it. */
  readonly credential?: string;
  readonly scanId?: number;
  readonly command?: string;
}

export interface ServiceProfile {
  readonly port: number;
  readonly protocol: 'tcp';
  readonly service: ServiceName | null;
  readonly product?: string;
  readonly version?: string;
  readonly info?: string;
  readonly cpe?: string;
  /** A directory server's naming contexts, from its rootDSE (`dc=example,dc=test`). */
  readonly namingContexts?: readonly string[];
  readonly confidence: number;
  /** Which rule (or probe) set each field. */
  readonly sources: Readonly<Record<string, string>>;
  readonly outcomes: readonly ProbeOutcome[];
}

export interface OsProfile {
  readonly family?: string;
  readonly name?: string;
  readonly version?: string;
  readonly deviceType?: string;
  /** The OS's own full name (os-release PRETTY_NAME), when a credentialed enumeration read it. */
  readonly description?: string;
  readonly confidence: number;
  readonly sources: Readonly<Record<string, FieldSource>>;
}
