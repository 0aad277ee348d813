/**
 * From open ports to one profile per host: run the probes each port calls for, turn their evidence into claims
 * with the fingerprint rules, and merge the claims deterministically (highest confidence, then the rule that says
 * most, then the earlier rule). Every field keeps the rule and port that set it.
 */
import PQueue from 'p-queue';
import type { Evidence, ProbeOutcome } from '../model/evidence.js';
import type { FieldSource, OsProfile, ServiceName, ServiceProfile } from '../model/service.js';
import { runProbe } from '../probes/core/probe.js';
import { firstProbes, followUps, probe, ProbeName } from '../probes/registry.js';
import { certificateNames } from '../probes/tls/probe.js';
import { namingContextsOf } from './naming-contexts.js';
import { applyRules, builtInRules, Claim, compareClaims, Field, Rule } from './rules.js';

export interface HostProfile {
  readonly address: string;
  readonly services: ServiceProfile[];
  readonly hostnames: ReadonlyArray<{ name: string; via: string }>;
  readonly domain?: { name: string; via: string };
  /** NetBIOS computer and domain names (from NTLM). */
  readonly netbios?: { name?: string; domain?: string };
  readonly os?: OsProfile;
}

export interface FingerprintOptions {
  /** Budget of one probe, in ms. @default 3000 */
  readonly probeTimeoutMs?: number;
  /** Ports of one host probed at once. @default 4 */
  readonly portConcurrency?: number;
  readonly rules?: readonly Rule[];
  readonly signal?: AbortSignal;
}

/** Which service a successful probe proves, whatever the rules say. */
const PROBE_SERVICE: Partial<Record<ProbeName, ServiceName>> = {
  ssh: 'ssh', pop3: 'pop3', mysql: 'mysql', postgresql: 'postgresql', ldap: 'ldap', rdp: 'rdp', http: 'http', https: 'https', tls: 'tls', smb: 'smb', mssql: 'mssql', 'oracle-tns': 'oracle-tns', mongodb: 'mongodb',
};

/** What a TLS-only answer means on the well-known TLS ports. */
const TLS_PORTS: Readonly<Record<number, ServiceName>> = { 636: 'ldaps', 3269: 'ldaps', 993: 'imaps', 995: 'pop3s' };

/** Texts per rule source, from a port's evidence. */
export function textsOf(outcomes: readonly ProbeOutcome[]): Map<string, string[]> {
  const texts = new Map<string, string[]>();
  const add = (source: string, text: string | null | undefined) => {
    if (text) texts.set(source, [...(texts.get(source) ?? []), text]);
  };
  for (const o of outcomes) {
    for (const e of o.evidence) {
      if (e.kind === 'banner') add('banner', e.text);
      else if (e.kind === 'attribute') add(e.name, e.value);
      else if (e.kind === 'http') {
        add('http.server', e.server);
        add('http.title', e.title);
      } else if (e.kind === 'tls') add('tls.subject', e.subject);
    }
  }
  return texts;
}

async function probePort(address: string, port: number, options: FingerprintOptions): Promise<ProbeOutcome[]> {
  const timeoutMs = options.probeTimeoutMs ?? 3000;
  const previous = new Map<string, ProbeOutcome & { raw?: Buffer }>();
  const outcomes: ProbeOutcome[] = [];
  const run = async (name: ProbeName) => {
    const outcome = await runProbe(probe(name), address, port, { timeoutMs, signal: options.signal, previous });
    previous.set(name, outcome);
    const { raw: _raw, ...kept } = outcome;
    outcomes.push(kept);
    return outcome;
  };
  let queue = firstProbes(port);
  if (queue[0] === 'banner') {
    const banner = await run('banner');
    if (banner.status === 'refused') return outcomes;
    queue = followUps(port, banner.raw);
  }
  for (const name of queue) {
    if (options.signal?.aborted) break;
    const outcome = await run(name);
    // A TLS port gets HTTP over TLS next; a plain one that speaks HTTP is done.
    if (name === 'tls' && outcome.status === 'success' && !queue.includes('https')) {
      if (port !== 636 && port !== 3269) await run('https');
      break;
    }
    if (name === 'http' && outcome.status === 'success') break;
  }
  return outcomes;
}

/**
 * The best value of every field among claims, each with the claim that set it. Claims that contradict the winner
 * on an identity field (a service's product, an OS's family or name) add nothing: a generic MySQL rule must not
 * fill in a field of a MariaDB server.
 */
function pick(claims: readonly Claim[], fields: readonly Field[], identity: readonly Field[]): { values: Partial<Record<Field, string>>; sources: Partial<Record<Field, Claim>> } {
  const values: Partial<Record<Field, string>> = {};
  const sources: Partial<Record<Field, Claim>> = {};
  for (const claim of [...claims].sort(compareClaims)) {
    if (identity.some((f) => values[f] !== undefined && claim.facts[f] !== undefined && claim.facts[f] !== values[f])) continue;
    for (const f of fields) {
      if (values[f] === undefined && claim.facts[f] !== undefined) {
        values[f] = claim.facts[f];
        sources[f] = claim;
      }
    }
  }
  return { values, sources };
}

export function profilePort(port: number, outcomes: readonly ProbeOutcome[], rules: readonly Rule[]): { service: ServiceProfile; claims: Claim[] } {
  const claims = applyRules(rules, textsOf(outcomes));
  const proven: Claim[] = outcomes
    .filter((o) => o.status === 'success' && PROBE_SERVICE[o.probe as ProbeName])
    .map((o, i) => ({ service: PROBE_SERVICE[o.probe as ProbeName]!, facts: {}, confidence: 100, rule: `probe:${o.probe}`, order: -100 + i }));
  // Bare TLS is the last resort: whatever speaks over it says more (and an HTTP answer over TLS is https).
  const best = [...proven, ...claims.filter((c) => c.service)]
    .sort((a, b) => Number(a.service === 'tls') - Number(b.service === 'tls') || compareClaims(a, b))[0];
  let service = best?.service ?? null;
  if (service === 'tls') service = TLS_PORTS[port] ?? 'tls';
  if (service === 'http' && outcomes.some((o) => o.probe === 'https' && o.status === 'success')) service = 'https';
  const forService = claims.filter((c) => c.service === service || (service === 'https' && c.service === 'http'));
  const { values, sources } = pick(forService, ['product', 'version', 'info', 'cpe'], ['product']);
  const sourceText: Record<string, string> = { service: best?.rule ?? 'none' };
  for (const [k, c] of Object.entries(sources)) sourceText[k] = c!.rule;
  const namingContexts = namingContextsOf(outcomes);
  return {
    service: {
      port, protocol: 'tcp', service, ...values, ...(namingContexts ? { namingContexts } : {}),
      confidence: best?.confidence ?? 0,
      sources: sourceText,
      outcomes,
    },
    claims,
  };
}

export async function fingerprintHost(address: string, ports: readonly number[], options: FingerprintOptions = {}): Promise<HostProfile> {
  const rules = options.rules ?? builtInRules();
  const queue = new PQueue({ concurrency: options.portConcurrency ?? 4 });
  const perPort = await Promise.all(ports.map((port) => queue.add(async () => ({ port, outcomes: await probePort(address, port, options) })) as Promise<{ port: number; outcomes: ProbeOutcome[] }>));
  const services: ServiceProfile[] = [];
  const osClaims: Array<Claim & { port: number }> = [];
  const hostnames = new Map<string, string>();
  let domain: { name: string; via: string } | undefined;
  const netbios: { name?: string; domain?: string } = {};
  for (const { port, outcomes } of perPort.sort((a, b) => a.port - b.port)) {
    const { service, claims } = profilePort(port, outcomes, rules);
    services.push(service);
    for (const c of claims) if (c.facts.osfamily || c.facts.osname || c.facts.osversion || c.facts.devicetype) osClaims.push({ ...c, port });
    for (const o of outcomes) {
      for (const e of o.evidence as Evidence[]) {
        if (e.kind === 'hostname' && !hostnames.has(e.name)) hostnames.set(e.name, `${e.via} (port ${port})`);
        if (e.kind === 'domain' && !domain) domain = { name: e.name, via: `${e.via} (port ${port})` };
        if (e.kind === 'tls') for (const n of certificateNames(e)) if (!hostnames.has(n)) hostnames.set(n, `TLS certificate (port ${port})`);
        if (e.kind === 'attribute' && e.name === 'ntlm.netbios-computer') netbios.name ??= e.value;
        if (e.kind === 'attribute' && e.name === 'ntlm.netbios-domain') netbios.domain ??= e.value;
      }
    }
  }
  let os: OsProfile | undefined;
  if (osClaims.length) {
    const { values, sources } = pick(osClaims, ['osfamily', 'osname', 'osversion', 'devicetype'], ['osfamily', 'osname']);
    const where = (f: Field): FieldSource | undefined => {
      const c = sources[f] as (Claim & { port: number }) | undefined;
      return c ? { rule: c.rule, port: c.port } : undefined;
    };
    const fieldSources: Record<string, FieldSource> = {};
    for (const [name, f] of [['family', 'osfamily'], ['name', 'osname'], ['version', 'osversion'], ['deviceType', 'devicetype']] as const) {
      const s = where(f);
      if (s) fieldSources[name] = s;
    }
    os = {
      family: values.osfamily, name: values.osname, version: values.osversion, deviceType: values.devicetype,
      confidence: Math.max(...osClaims.map((c) => c.confidence)),
      sources: fieldSources,
    };
  }
  return {
    address, services, hostnames: [...hostnames].map(([name, via]) => ({ name, via })), domain,
    netbios: netbios.name || netbios.domain ? netbios : undefined, os,
  };
}
