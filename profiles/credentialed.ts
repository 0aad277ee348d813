/**
 * What a credentialed enumeration read on the host itself (os-release, uname, hostname -f) outranks what the
 * fingerprint guessed from banners: it becomes the asset's OS and first names, each field with its evidence (the
 * enumeration's credential and scan, and the command). Guesses that contradict it on the OS's identity are dropped,
 * as the fingerprint's own merge drops claims that contradict its winner.
 */
import type { AssetView } from '../model/asset.js';
import type { FieldSource, OsProfile } from '../model/service.js';
import type { EnumerationRecord, Fact } from '../enum/types.js';
import type { HostProfile } from './fingerprint.js';

/** The `os` fact of an SSH enumeration (enum/ssh/collect.ts): os-release and uname, each value optional. */
export interface OsFactValue {
  readonly name?: string;
  readonly version?: string;
  readonly prettyName?: string;
  readonly kernel?: string;
  readonly hostname?: string;
  readonly fqdn?: string;
}

/** The host facts of an asset's latest successful credentialed enumeration. */
export interface CredentialedFacts {
  readonly scanId: number;
  readonly method: string;
  readonly port: number;
  readonly credential: string;
  readonly os: Fact<OsFactValue>;
}

/** The asset with the credentialed OS and names first; without facts (or with an unusable os fact) it is as given. */
export function withCredentialedFacts<A extends Pick<AssetView, 'os' | 'names' | 'hostnames'>>(asset: A, facts: CredentialedFacts | undefined): A {
  const value = facts?.os.value;
  if (!facts || !value) return asset;
  const by = `${facts.method} enumeration with credential ${facts.credential} (scan ${facts.scanId})`;
  const source = (command: string | undefined): FieldSource => ({
    rule: by, port: facts.port, credential: facts.credential, scanId: facts.scanId, ...(command ? { command } : {}),
  });
  const os = mergeOs(asset.os, value, source(facts.os.source));
  const names = [
    ...(value.fqdn ? [{ name: value.fqdn, via: `${by}: hostname -f` }] : []),
    ...(value.hostname && value.hostname !== value.fqdn ? [{ name: value.hostname, via: `${by}: uname -n` }] : []),
  ];
  const own = new Set(names.map((n) => n.name));
  return {
    ...asset,
    os,
    names: [...names, ...asset.names.filter((n) => !own.has(n.name))],
    hostnames: [...names.map((n) => n.name), ...asset.hostnames.filter((n) => !own.has(n))],
  };
}

function mergeOs(guess: OsProfile | undefined, value: OsFactValue, source: FieldSource): OsProfile | undefined {
  const known = { family: value.kernel, name: value.name, version: value.version, description: value.prettyName };
  const set = Object.entries(known).filter(([, v]) => v) as Array<[keyof typeof known, string]>;
  if (!set.length) return guess;
  // A guess of another family or name says nothing about this host: none of its fields are kept.
  const same = (a?: string, b?: string) => !a || !b || a.toLowerCase() === b.toLowerCase();
  const agrees = guess !== undefined && same(guess.family, known.family) && (!known.name || !guess.name || known.name.toLowerCase().includes(guess.name.toLowerCase()));
  const kept = agrees ? guess : undefined;
  const sources: Record<string, FieldSource> = { ...(kept?.sources ?? {}) };
  for (const [field] of set) sources[field] = source;
  return {
    family: known.family ?? kept?.family,
    name: known.name ?? kept?.name,
    version: known.version ?? kept?.version,
    deviceType: kept?.deviceType,
    ...(known.description ? { description: known.description } : {}),
    confidence: 100,
    sources,
  };
}

/**
 * A database login read the server's exact version (PostgreSQL's `SHOW server_version`; the fingerprint only bounds
 * it by the protocols the server speaks): it replaces the fingerprint's version of that port's service, with the
 * login as the version's source. Other services, and a login that failed, change nothing.
 */
export function withLoginVersions(profile: HostProfile | undefined, records: readonly EnumerationRecord[] | undefined): HostProfile | undefined {
  if (!profile || !records?.length) return profile;
  const found = new Map<number, { version: string; product: string; by: string }>();
  for (const r of records) {
    const instance = r.facts.instance?.value as { version?: unknown; product?: unknown } | undefined;
    if (r.method !== 'postgres' || r.status !== 'success' || typeof instance?.version !== 'string' || found.has(r.port)) continue;
    found.set(r.port, { version: instance.version, product: String(instance.product ?? 'PostgreSQL'), by: `${r.method} login with credential ${r.credential}: ${r.facts.instance!.source}` });
  }
  if (!found.size) return profile;
  return {
    ...profile,
    services: profile.services.map((sv) => {
      const login = found.get(sv.port);
      if (!login || sv.service !== 'postgresql') return sv;
      return { ...sv, product: sv.product ?? login.product, version: login.version, sources: { ...sv.sources, version: login.by } };
    }),
  };
}
