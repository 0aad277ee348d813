/**
 * `npm run bench -- --only rules`: Smart Rules over a synthetic estate the size of the largest commercial appliance,
 * 10,000 assets and 250,000 accounts (20 local accounts and 5 SSH keys each, with software), and 100 rules (10 asset
 * rules, 10 onboarding rules, 5 exclusions, 75 tag and group rules over every field type). Each step runs the real
 * `surveyor rules apply` under GNU time: the evaluation alone (dry run), the first apply (which onboards and
 * writes the journal), a second apply (nothing changes), and, after one asset's new enumeration makes one more
 * account privileged, the re-evaluation of that asset (what a scan's rule run does) and of the whole estate.
 * No rival is timed here: nmap has no rule engine, and the commercial engines this replaces run such rules weekly.
 * The estate is data in a SQLite file, or in a PostgreSQL database (the same steps); no packet is sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccountObservation, EnumerationRecord } from '../enum/types.js';
import type { HostProfile } from '../profiles/fingerprint.js';
import { openStore } from '../store/open-store.js';
import type { HostObservation } from '../store/store.js';
import { timed } from './exec.js';

const BIN = fileURLToPath(new URL('../../bin/surveyor.js', import.meta.url));
const ASSETS = 10_000;
const SITES = 10;

const addressOf = (i: number) => `127.100.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

function accountsOf(i: number, extraAdmin: boolean): AccountObservation[] {
  const out: AccountObservation[] = [];
  for (let u = 0; u < 20; u++) {
    const name = u === 0 ? 'root' : u < 3 ? `admin${u}` : u < 6 ? `svc-app${u}` : `user${u}`;
    const privileged = u < 3 || (extraAdmin && u === 7);
    const groups = u === 0 ? ['root'] : u < 3 || (extraAdmin && u === 7) ? ['sudo', 'users'] : u < 6 ? ['svc'] : ['users'];
    out.push({
      kind: 'local', key: name, name, uid: String(u === 0 ? 0 : 1000 + u), privileged,
      reasons: u === 0 ? ['uid 0 (getent passwd)'] : privileged ? ['member of group sudo (getent group)'] : [],
      enabled: u % 7 !== 6, lastLogon: u % 3 === 0 ? undefined : daysAgo((i * 7 + u * 13) % 400), passwordLastSet: daysAgo((i + u * 31) % 900),
      details: { gid: 1000 + u, groups, shell: u < 6 ? '/bin/bash' : '/usr/sbin/nologin', loginShell: u < 6, passwordMaxDays: u % 2 ? 99999 : 90 },
      source: 'getent passwd',
    });
  }
  for (let k = 0; k < 5; k++) {
    const user = k < 2 ? 'root' : `admin${k - 1}`;
    const bits = k === 4 && i % 10 === 0 ? 1024 : k % 2 ? 3072 : 256;
    out.push({
      kind: 'ssh-key', key: `${user} SHA256:k${i}-${k}`, name: user, uid: '0', privileged: true, reasons: [`logs in as ${user}`],
      details: { type: bits === 256 ? 'ssh-ed25519' : 'ssh-rsa', bits, fingerprint: `SHA256:k${i}-${k}`, comment: `key ${k}` }, source: 'authorized_keys',
    });
  }
  return out;
}

function host(i: number, at: string, extraAdmin = false): HostObservation {
  const windows = i % 5 === 0;
  const profile = {
    address: addressOf(i), hostnames: [{ name: `host${i}.site${i % SITES}.test`, via: 'target' }],
    services: [{ port: 22, protocol: 'tcp', service: 'ssh', product: 'OpenSSH', version: `${8 + (i % 3)}.${i % 10}p1`, confidence: 90, sources: {}, outcomes: [] }],
    os: windows ? { family: 'Windows', name: 'Windows Server 2019', version: '10.0.17763', confidence: 80, sources: {} } : { family: 'Linux', name: 'Debian GNU/Linux', version: String(10 + (i % 3)), confidence: 90, sources: {} },
  } as unknown as HostProfile;
  const packages = Array.from({ length: 20 }, (_, p) => ({ name: p === 0 ? 'openssh-server' : p === 1 ? 'sudo' : `pkg${p}`, version: p === 0 ? `1:${8 + (i % 3)}.${i % 10}p1-1` : `1.${p}.${i % 7}`, arch: 'amd64' }));
  const enumeration: EnumerationRecord = {
    method: 'ssh', port: 22, credential: 'bench', status: 'success', notes: [], elapsedMs: 1,
    facts: { software: { source: 'dpkg-query', value: { manager: 'dpkg', packages } } }, accounts: accountsOf(i, extraAdmin),
  };
  return { address: addressOf(i), hostnames: [`host${i}.site${i % SITES}.test`], ports: [{ port: 22, state: 'open', rttMs: 0.1, attempts: 1 }] as never, seenAt: at, profile, enumerations: [enumeration] };
}

function rulesYaml(): string {
  const rules: string[] = [];
  for (let s = 0; s < SITES; s++) {
    rules.push(`  - { name: site ${s}, kind: asset, order: ${s}, when: { field: hostname, op: glob, value: "*.site${s}.test" }, then: [ { group: site${s} } ] }`);
    rules.push(`  - name: onboard site ${s}
    kind: account
    order: ${100 + s}
    when: { all: [ { field: asset.group, op: contains, value: site${s} }, { field: privileged, op: eq, value: true }, { field: kind, op: eq, value: local } ] }
    then: [ { onboard: { workgroup: wg${s}, policy: standard, changeFrequencyDays: ${7 * (1 + (s % 4))} } } ]`);
  }
  for (let e = 0; e < 5; e++) rules.push(`  - { name: exclude ${e}, kind: account, order: ${200 + e}, when: { all: [ { field: name, op: eq, value: root }, { field: asset.address, op: inCidr, value: "127.100.${e * 8}.0/21" } ] }, then: [ { exclude: { reason: "break-glass ${e}" } } ] }`);
  const conditions = [
    '{ field: lastLogon, op: olderThanDays, value: 90 }', '{ field: name, op: glob, value: "svc-*" }', '{ field: key.bits, op: lt, value: 2048 }',
    '{ field: asset.software.openssh-server, op: versionLt, value: "1:9.0" }', '{ field: groups, op: containsAny, value: [sudo, wheel] }',
    '{ field: asset.os.family, op: eq, value: Windows }', '{ field: passwordLastSet, op: olderThanDays, value: 365 }', '{ field: enabled, op: eq, value: false }',
    '{ field: name, op: matches, value: "^user1[0-9]$" }', '{ field: asset.product.OpenSSH, op: versionGte, value: "9.5" }', '{ field: uid, op: in, value: ["0", "1001", "1002"] }',
    '{ any: [ { field: neverExpires, op: eq, value: true }, { not: { field: asset.port, op: contains, value: 22 } } ] }',
    '{ field: asset.address, op: inCidr, value: [127.100.0.0/20, 127.100.30.0/24] }', '{ field: reason, op: glob, value: "*sudo*" }', '{ field: lastLogon, op: exists, value: false }',
  ];
  for (let n = 0; n < 75; n++) {
    const a = conditions[n % conditions.length]!;
    const b = conditions[(n * 7 + 3) % conditions.length]!;
    // As rule authors write them: each tag rule scoped to one site's assets.
    rules.push(`  - { name: tag ${n}, kind: account, order: ${300 + n}, when: { all: [ { field: asset.group, op: contains, value: site${n % SITES} }, ${a}, ${b} ] }, then: [ { ${n % 2 ? 'tag' : 'group'}: r${n} } ] }`);
  }
  return `schema: 1\nrules:\n${rules.join('\n')}\n`;
}

/**
 * The synthetic estate in a new SQLite file, its workgroups, and the rule file. `assets` (at most 16,000, the
 * addresses of 127.100.0.0/18) sizes it for tests that need a smaller one; each asset has 25 accounts and 20
 * packages. @default 10,000
 */
export async function writeEstate(db: string, rulesFile: string, assets = ASSETS): Promise<void> {
  if (!Number.isInteger(assets) || assets < 1 || assets > 16_000) throw new RangeError(`writeEstate: assets must be a whole number from 1 to 16000, not ${assets}`);
  writeFileSync(rulesFile, rulesYaml());
  const store = await openStore(db, { create: true });
  const at = new Date().toISOString();
  const scanId = await store.createScan({ startedAt: at, targets: ['127.100.0.0/18'], exclusions: [], ports: [22], options: {}, hostsTotal: assets, probesTotal: assets });
  for (let i = 0; i < assets; i += 500) {
    const batch = Array.from({ length: Math.min(500, assets - i) }, (_, j) => host(i + j, at));
    await store.recordHosts(scanId, batch, { probesDone: i, hostsDone: i, open: i, closed: 0, filtered: 0 });
  }
  await store.finishScan(scanId, 'completed', { probesDone: assets, hostsDone: assets, open: assets, closed: 0, filtered: 0 }, new Date().toISOString());
  for (let s = 0; s < SITES; s++) await store.addWorkgroup(`wg${s}`, `site${s}`, null, at);
  await store.close();
}

export type BenchDb = 'sqlite' | 'postgres';

/** The steps on a new SQLite file, or, given a `postgres://` URL of an empty database, on PostgreSQL. */
export async function benchRules(postgresUrl?: string): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'surveyor-rules-bench-'));
  const label = postgresUrl ? 'rules-pg' : 'rules';
  try {
    const db = postgresUrl ?? join(dir, 's.db');
    const rulesFile = join(dir, 'rules.yaml');
    const setupStart = performance.now();
    await writeEstate(db, rulesFile);
    process.stderr.write(`\n${label}: estate of ${ASSETS} assets / ${ASSETS * 25} accounts written in ${((performance.now() - setupStart) / 1000).toFixed(1)} s; 100 rules\n`);

    const apply = (extra: string[]) => timed([process.execPath, BIN, 'rules', 'apply', rulesFile, '--db', db, '--limit', '0', ...extra]);
    const summaryOf = (text: string) => text.trim().split('\n').pop()!;
    const rows: string[][] = [];
    const row = (step: string, r: { wallMs: number; peakMb: number; stdout: string }) => {
      const s = summaryOf(r.stdout);
      const m = /(\d+) onboarded, (\d+) updated, (\d+) memberships added, (\d+) removed/.exec(s);
      rows.push([label, step, `${(r.wallMs / 1000).toFixed(2)} s`, m ? `${m[1]} onboarded, ${m[3]} memberships` : '-', `${r.peakMb.toFixed(0)} MB`, '']);
      process.stderr.write(`${label}: ${step}: ${(r.wallMs / 1000).toFixed(2)} s, peak ${r.peakMb.toFixed(0)} MB: ${s}\n`);
    };
    row('evaluate all (dry run)', await apply(['--dry-run']));
    row('first apply (writes)', await apply([]));
    row('apply again (no change)', await apply([]));
    // One asset's new enumeration: user7 joins sudo.
    const changed = 4321;
    const again = await openStore(db, { create: true });
    const scan2 = await again.createScan({ startedAt: new Date().toISOString(), targets: [addressOf(changed)], exclusions: [], ports: [22], options: {}, hostsTotal: 1, probesTotal: 1 });
    await again.recordHosts(scan2, [host(changed, new Date().toISOString(), true)], { probesDone: 1, hostsDone: 1, open: 1, closed: 0, filtered: 0 });
    await again.finishScan(scan2, 'completed', { probesDone: 1, hostsDone: 1, open: 1, closed: 0, filtered: 0 }, new Date().toISOString());
    await again.close();
    row('one asset changed: that asset', await apply(['--asset', addressOf(changed)]));
    row('one asset changed: whole estate', await apply([]));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
