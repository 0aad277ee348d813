/**
 * Changes between two scans of the same estate: ports that opened or closed, services whose product or version
 * changed, hosts whose OS changed, hosts that appeared or went quiet. A port or host absent from the later scan
 * only counts as closed or gone when that scan covered it (its targets and ports), and one absent from the earlier
 * scan only counts as opened or new when that scan covered it, so scanning another range reports nothing about this one.
 */
import { intervalsOf, parseToken, splitTargets } from '../scanner/targets/parse.js';
import { compareAddresses, parseAddress } from '../scanner/targets/ip.js';
import type { ScanCoverage, ScanSnapshot } from '../model/scan.js';

export type ChangeKind = 'host-new' | 'host-gone' | 'port-opened' | 'port-closed' | 'service-changed' | 'os-changed';

export interface Change {
  readonly address: string;
  readonly kind: ChangeKind;
  readonly port?: number;
  readonly before?: string;
  readonly after?: string;
}

/**
 * Whether `scan` looked at `address` (and `port`, when given): inside its targets, outside its exclusions, and,
 * for a scan that was interrupted, among the addresses its sweep finished.
 */
export function covers(scan: ScanCoverage, address: string, names: readonly string[], port?: number): boolean {
  if (port !== undefined && !scan.ports.includes(port)) return false;
  const parsed = parseAddress(address);
  if (!parsed.ok) return false;
  const matches = (tokens: readonly string[]) => tokens.some((token) => {
    for (const piece of splitTargets(token)) {
      if (piece.startsWith('@')) continue; // a file's contents are not kept with the scan
      try {
        const spec = parseToken(piece);
        if (spec.kind === 'name') {
          if (names.includes(spec.name)) return true;
        } else if (spec.family === parsed.address.family && intervalsOf(spec).some((r) => r.lo <= parsed.address.value && parsed.address.value <= r.hi)) return true;
      } catch {
        // a token the scan accepted is valid; anything else cannot cover
      }
    }
    return false;
  });
  if (scan.swept !== null && !matches(scan.swept)) return false;
  return matches(scan.targets) && !matches(scan.exclusions);
}

function describe(s: { service?: string | null; product?: string | null; version?: string | null } | undefined): string {
  return [s?.service, s?.product, s?.version].filter(Boolean).join(' ') || 'unknown';
}

function osText(os: { family?: string; name?: string; version?: string } | undefined): string {
  return [os?.name ?? os?.family, os?.version].filter(Boolean).join(' ');
}

export function diffScans(from: ScanSnapshot, to: ScanSnapshot): Change[] {
  const changes: Change[] = [];
  const addresses = [...new Set([...from.hosts.keys(), ...to.hosts.keys()])].sort(compareAddresses);
  for (const address of addresses) {
    const before = from.hosts.get(address);
    const after = to.hosts.get(address);
    const names = [...(before?.names ?? []), ...(after?.names ?? [])];
    if (!before && after) {
      // new only where the earlier scan looked and saw nothing; a host it did not look at is not news
      if (covers(from.scan, address, names)) changes.push({ address, kind: 'host-new', after: [...after.ports.keys()].sort((a, b) => a - b).join(',') });
      continue;
    }
    if (before && !after) {
      if (covers(to.scan, address, names)) changes.push({ address, kind: 'host-gone', before: [...before.ports.keys()].sort((a, b) => a - b).join(',') });
      continue;
    }
    for (const [port, service] of after!.ports) {
      const old = before!.ports.get(port);
      if (!old) {
        if (covers(from.scan, address, names, port)) changes.push({ address, kind: 'port-opened', port, after: describe(service) });
      } else if (describe(old) !== describe(service) && service.service !== undefined) {
        changes.push({ address, kind: 'service-changed', port, before: describe(old), after: describe(service) });
      }
    }
    for (const [port, service] of before!.ports) {
      if (!after!.ports.has(port) && covers(to.scan, address, names, port)) changes.push({ address, kind: 'port-closed', port, before: describe(service) });
    }
    if (before!.os && after!.os && osText(before!.os) !== osText(after!.os)) changes.push({ address, kind: 'os-changed', before: osText(before!.os), after: osText(after!.os) });
  }
  return changes;
}

