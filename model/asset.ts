/** An asset as the store keeps it, merged from every scan that saw it: what asset rules read. */
import type { PortState } from './port.js';
import type { OsProfile, ServiceProfile } from './service.js';

export interface AssetPort {
  readonly port: number;
  readonly protocol: 'tcp';
  readonly state: PortState;
  readonly rttMs: number;
  readonly scanId: number;
  readonly service?: Pick<ServiceProfile, 'service' | 'product' | 'version' | 'info' | 'cpe' | 'confidence' | 'sources' | 'outcomes'>;
}

export interface AssetView {
  readonly id: number;
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly lastScanId: number;
  /** Ports as the most recent scan that saw this asset found them. */
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
