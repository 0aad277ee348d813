/** An asset as the store keeps it, merged from every scan that saw it: what asset rules read. */
import type { PortState } from './port.js';
import type { OsProfile, ServiceProfile } from './service.js';

export interface AssetPort {
  readonly port: number;
  readonly protocol: 'tcp';
  readonly state: PortState;
  readonly rttMs: number;
  /** The scan that last saw this port (the newest with a row for it; older than the asset's last scan when that one did not look at it). */
  readonly scanId: number;
  /** When that scan ended (while it runs, its last heartbeat); the store always sets it. */
  readonly lastSeen?: string;
  readonly service?: Pick<ServiceProfile, 'service' | 'product' | 'version' | 'info' | 'cpe' | 'namingContexts' | 'confidence' | 'sources' | 'outcomes'>;
}

export interface AssetView {
  readonly id: number;
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lastScanId: number;
  /** Every port's last known state: as the newest scan that looked at it found it (a later scan changes only what it looked at). */
  readonly ports: readonly AssetPort[];
  readonly os?: OsProfile;
  readonly domain?: { name: string; via: string };
  /** False while the asset is known only from a directory (no sweep has seen it yet). */
  readonly scanned: boolean;
  /** The directory computer object(s) naming this asset. */
  readonly directory?: ReadonlyArray<{ domain: string; name: string; dn: string; operatingSystem?: string; operatingSystemVersion?: string }>;
  /** Host names with where each came from (a target name, a certificate, LDAP, ...). */
  readonly names: ReadonlyArray<{ name: string; via: string }>;
}

/** An asset without its ports: what filtering, sorting and paging the inventory reads of every asset. */
export interface AssetIndexRow {
  readonly id: number;
  readonly address: string;
  /** Merged as AssetView's are: the credentialed enumeration's and the SNMP agent's names first. */
  readonly hostnames: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly os?: OsProfile;
}
