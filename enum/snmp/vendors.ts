/**
 * The vendor of an enterprise number (the arc after 1.3.6.1.4.1 in a sysObjectID or an engine ID), from the small
 * map of common device makers in enterprises.json (IANA's registry has some 60,000; the rest show as their number).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Vendor {
  readonly name: string;
  /** What a device of this vendor most likely is, when the vendor makes one kind (firewall, printer, ...). */
  readonly deviceType?: string;
}

let map: ReadonlyMap<number, Vendor> | undefined;

function load(): ReadonlyMap<number, Vendor> {
  // Read from the sources beside dist/, as the fingerprint rules are.
  const path = fileURLToPath(new URL('../../../enum/snmp/enterprises.json', import.meta.url));
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { enterprises: Record<string, { vendor: string; deviceType?: string }> };
  return new Map(Object.entries(doc.enterprises).map(([n, v]) => [Number(n), { name: v.vendor, deviceType: v.deviceType }]));
}

export function vendorOf(enterprise: number): Vendor | undefined {
  map ??= load();
  return map.get(enterprise);
}
