/**
 * A small estate written through the Store API, with no traffic (the addresses are never contacted): the web
 * tests' data. Four hosts in 127.136.0.0/24 over two scans, an SSH enumeration with local accounts and a key, a
 * MySQL enumeration, one account onboarded by a rule, and a host whose every scanned field is hostile markup.
 * Host .4 had ssh open in scan 1; scan 2 looked at its port 22 again and found it not open (so listAssets shows
 * no ssh on it, though its newest row for port 22 still says open).
 */
import { applyRules } from '../../app/apply-rules.js';
import type { AccountObservation, EnumerationRecord } from '../../enum/types.js';
import { parseRuleFile } from '../../onboarding/rule-file.js';
import type { HostProfile } from '../../profiles/fingerprint.js';
import { openStore } from '../../store/open-store.js';

/** Markup in every field a scanned host controls; each must show as text, and no dialog may open. */
export const HOSTILE = {
  hostname: '<script>alert(1)</script>',
  product: '"><img src=x onerror=alert(2)>',
  account: '"><img src=x onerror=alert(3)>',
  reason: "sudoers: <script>alert(4)</script> ALL=(ALL) ALL ('/etc/sudoers':3)",
  uid: '<b>0</b>',
  keyType: '<svg onload=alert(5)>',
} as const;

const NOW = Date.now();
const iso = (agoMs: number) => new Date(NOW - agoMs).toISOString();

function local(name: string, uid: string, reasons: string[], extra: Partial<AccountObservation> = {}): AccountObservation {
  return {
    kind: 'local', key: name, name, uid, privileged: reasons.length > 0, reasons, enabled: true, lastLogon: iso(86_400_000),
    details: { shell: '/bin/bash', loginShell: true }, source: 'getent passwd', ...extra,
  };
}

function ssh(accounts: AccountObservation[]): EnumerationRecord {
  return { method: 'ssh', port: 22, credential: 'lab-root', status: 'success', notes: [], elapsedMs: 5, facts: {}, accounts };
}

function profile(address: string, services: Array<[number, string, string, string?]>, names: string[] = [], os?: { family: string; name: string }): HostProfile {
  return {
    address,
    services: services.map(([port, service, product, version]) => ({
      port, protocol: 'tcp', service: service as never, product, ...(version ? { version } : {}), confidence: 90, sources: { service: 'test estate' }, outcomes: [],
    })),
    hostnames: names.map((name) => ({ name, via: 'test estate' })),
    ...(os ? { os: { ...os, confidence: 80, sources: {} } } : {}),
  };
}

const open = (...ports: number[]) => ports.map((port) => ({ port, state: 'open' as const, rttMs: 0.3, attempts: 1 }));

export const ESTATE_RULES = `schema: 1
rules:
  - name: web root
    kind: account
    when: { all: [ { field: name, op: eq, value: root }, { field: asset.address, op: inCidr, value: 127.136.0.1/32 } ] }
    then: [ { onboard: { workgroup: site-a } } ]
`;

/** Writes the estate into `location` (a SQLite path or a postgres:// URL), creating it. */
export async function buildEstate(location: string): Promise<void> {
  const store = await openStore(location, { create: true });
  try {
    const totals = { probesDone: 12, hostsDone: 4, open: 6, closed: 0, filtered: 0 };
    const first = await store.createScan({ startedAt: iso(60_000), targets: ['127.136.0.1-127.136.0.4'], exclusions: [], ports: [22, 80, 3306], options: {}, hostsTotal: 4, probesTotal: 12 });
    const seenAt = iso(50_000);
    await store.recordHosts(first, [
      {
        address: '127.136.0.1', hostnames: ['web01.lab.test'], ports: open(22, 80), seenAt,
        profile: profile('127.136.0.1', [[22, 'ssh', 'OpenSSH', '9.2p1'], [80, 'http', 'nginx', '1.22.1']], ['web01.lab.test'], { family: 'Linux', name: 'Debian' }),
        enumerations: [ssh([
          local('root', '0', ['uid 0 (getent passwd)']),
          local('alice', '1001', ['member of group sudo (getent group)']),
          local('bob', '1002', []),
          { kind: 'ssh-key', key: 'alice SHA256:abc', name: 'alice', uid: '1001', privileged: true, reasons: ['logs in as alice: member of group sudo (getent group)'],
            details: { type: 'ssh-ed25519', bits: 256, fingerprint: 'SHA256:abc', file: '/home/alice/.ssh/authorized_keys', line: 1 }, source: 'cat authorized_keys' },
        ])],
      },
      {
        address: '127.136.0.2', hostnames: [HOSTILE.hostname], ports: open(22), seenAt,
        profile: profile('127.136.0.2', [[22, 'ssh', HOSTILE.product]], [HOSTILE.hostname], { family: HOSTILE.product, name: HOSTILE.hostname }),
        enumerations: [ssh([
          local(HOSTILE.account, HOSTILE.uid, [HOSTILE.reason]),
          { kind: 'ssh-key', key: `${HOSTILE.account} SHA256:x`, name: HOSTILE.account, uid: HOSTILE.uid, privileged: true, reasons: [`logs in as ${HOSTILE.account}: ${HOSTILE.reason}`],
            details: { type: HOSTILE.keyType, bits: 1024, fingerprint: HOSTILE.hostname, file: HOSTILE.product, line: 2 }, source: HOSTILE.reason },
        ])],
      },
      {
        address: '127.136.0.3', hostnames: ['db01.lab.test'], ports: open(3306), seenAt,
        profile: profile('127.136.0.3', [[3306, 'mysql', 'MariaDB', '10.11.6']], ['db01.lab.test']),
        enumerations: [{
          method: 'mysql', port: 3306, credential: 'lab-mysql', status: 'success', notes: [], elapsedMs: 3, facts: {},
          accounts: [{ kind: 'database', key: 'mysql:3306:root@%', name: 'root@%', privileged: true, reasons: ['SUPER (mysql.user)'], details: {}, source: 'SELECT ... FROM mysql.user' }],
        }],
      },
      { address: '127.136.0.4', hostnames: [], ports: open(22), seenAt, profile: profile('127.136.0.4', [[22, 'ssh', 'OpenSSH', '8.4p1']]) },
    ], totals);
    await store.finishScan(first, 'completed', totals, iso(40_000));
    const second = await store.createScan({ startedAt: iso(30_000), targets: ['127.136.0.4'], exclusions: [], ports: [22, 80], options: {}, hostsTotal: 1, probesTotal: 2 });
    const totals2 = { probesDone: 2, hostsDone: 1, open: 1, closed: 0, filtered: 0 };
    await store.recordHosts(second, [
      { address: '127.136.0.4', hostnames: [], ports: open(80), seenAt: iso(25_000), profile: profile('127.136.0.4', [[80, 'http', 'lighttpd']]) },
    ], totals2);
    await store.finishScan(second, 'completed', totals2, iso(20_000));
    await store.addWorkgroup('site-a', 'east', null, iso(10_000));
    await applyRules(store, parseRuleFile(ESTATE_RULES, 'estate.yaml'), { source: 'estate.yaml', trigger: 'command' });
  } finally {
    await store.close();
  }
}
