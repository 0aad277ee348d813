/**
 * What an SNMP agent said about its device (enum/snmp/device.ts) merged into the asset: the device type (from
 * sysObjectID, ENTITY-MIB or sysDescr) and the OS (from sysDescr) outrank the fingerprint's guesses from banners,
 * and sysName joins the asset's names. Each field keeps its evidence: the credential, the scan and the object.
 * An SSH enumeration's os-release, merged after this, outranks it in turn (profiles/credentialed.ts).
 */
import type { AssetView } from '../model/asset.js';
import type { FieldSource, OsProfile } from '../model/service.js';
import type { Fact } from '../enum/types.js';
import type { DeviceFacts } from '../enum/snmp/device.js';

/** The `device` fact of an asset's latest successful (or incomplete) SNMP enumeration. */
export interface SnmpDeviceFacts {
  readonly scanId: number;
  readonly port: number;
  readonly credential: string;
  readonly device: Fact<DeviceFacts>;
}

/** How sure a field an agent reported about itself is: below an SSH enumeration's own reading (100). */
const SNMP_CONFIDENCE = 95;

export function withSnmpDevice<A extends Pick<AssetView, 'os' | 'names' | 'hostnames'>>(asset: A, facts: SnmpDeviceFacts | undefined): A {
  const d = facts?.device.value;
  if (!facts || !d) return asset;
  const by = `snmp enumeration with credential ${facts.credential} (scan ${facts.scanId})`;
  const source = (evidence: string | undefined): FieldSource => ({
    rule: by, port: facts.port, credential: facts.credential, scanId: facts.scanId, ...(evidence ? { command: evidence } : {}),
  });
  const os = mergeDevice(asset.os, d, source);
  const name = d.sysName?.toLowerCase();
  const named = name && !asset.names.some((n) => n.name === name);
  return {
    ...asset,
    os,
    ...(named ? { names: [...asset.names, { name, via: `${by}: sysName.0` }], hostnames: [...asset.hostnames, name] } : {}),
  };
}

function mergeDevice(guess: OsProfile | undefined, d: DeviceFacts, source: (evidence: string | undefined) => FieldSource): OsProfile | undefined {
  if (!d.os && !d.deviceType) return guess;
  // A guess of another OS family says nothing about this device: none of its fields are kept.
  const kept = guess && (!d.os || !guess.family || guess.family.toLowerCase() === d.os.family.toLowerCase()) ? guess : undefined;
  const sources: Record<string, FieldSource> = { ...(kept?.sources ?? {}) };
  for (const field of ['family', 'name', 'version'] as const) if (d.os?.[field]) sources[field] = source(d.evidence.os);
  if (d.deviceType) sources.deviceType = source(d.evidence.deviceType);
  return {
    family: d.os?.family ?? kept?.family,
    name: d.os?.name ?? kept?.name,
    version: d.os?.version ?? kept?.version,
    deviceType: d.deviceType ?? kept?.deviceType,
    ...(kept?.description ? { description: kept.description } : {}),
    confidence: Math.max(SNMP_CONFIDENCE, kept?.confidence ?? 0),
    sources,
  };
}
