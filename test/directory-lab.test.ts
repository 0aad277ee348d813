/**
 * Directory enumeration against the lab's slapd and Samba AD DC, compared with what ldapsearch and rpcclient say
 * (run by this file, not by surveyor): users, groups, nested privileged membership, computers and the password
 * policy; and the connection rules: no password in clear by default, no password to an untrusted certificate, one
 * bind for a wrong password, paging past the server's size limit.
 */
import type { ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLdif } from '../fixtures/lab/truth.js';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { recordingCli, RunResult, tempDir } from './helpers/cli.js';
import { labTest, truthOf } from './helpers/lab.js';

type LdapTruth = {
  base: string;
  users: Array<{ dn: string; uid: string; uidNumber: number; shadowExpire: string | null }>;
  groups: Array<{ dn: string; cn: string; objectClass: string; gidNumber: number | null; memberUid: string[]; member: string[] }>;
};
type AdTruth = {
  users: Array<{ dn: string; sAMAccountName: string; disabled: boolean; passwordNeverExpires: boolean; servicePrincipalName: string[] }>;
  groups: Array<{ dn: string; sAMAccountName: string; member: string[] }>;
  computers: Array<{ dn: string; sAMAccountName: string; dNSHostName: string | null; operatingSystem: string | null; operatingSystemVersion: string | null }>;
};
type Account = { name: string; uid: string; privileged: boolean; reasons: string[]; enabled: boolean; details: Record<string, unknown> };
type ScanJson = {
  status: string; notes: string[]; accounts: Account[]; elapsedMs: number;
  connection: { transport: string; tls: { sha256: string; trustedBy: string } | null };
  groups: Array<{ dn: string; name: string; members: string[] }>;
  computers: Array<{ name: string; dnsHostName?: string; operatingSystem?: string; operatingSystemVersion?: string; enabled: boolean; address?: string }>;
  passwordPolicy: { minLength: number; historyLength: number; lockoutThreshold: number; complexity: boolean } | null;
};

const outputs: string[] = [];

const run = recordingCli(outputs);
const cli = (dir: string, args: string[], options: { input?: string; netns?: string } = {}): Promise<RunResult> =>
  run(dir, args, { input: options.input, prefix: options.netns ? ['ip', 'netns', 'exec', options.netns] : undefined });

async function addCred(t: ExecutionContext, dir: string, name: string, identity: string[], password: string, scope: string): Promise<void> {
  const r = await cli(dir, ['creds', 'add', '--name', name, '--type', 'ldap', ...identity, '--password-stdin', '--scope', scope], { input: `${password}\n` });
  t.is(r.code, 0, r.stderr);
}

function assertNoSecrets(t: ExecutionContext, dir: string, secrets: string[]): void {
  const db = readFileSync(join(dir, 's.db')).toString('latin1');
  for (const s of secrets) for (const text of [...outputs, db]) t.false(text.includes(s), 'a password appeared in an output or the database');
}

function slapdBinds(info: ServerInfo, dn: string): number {
  return readFileSync(join(info.dir, 'slapd.log'), 'utf8').split('\n').filter((l) => l.includes(`BIND dn="${dn}"`)).length;
}

// ------------------------------------------------------------------------------------------------------ slapd

labTest('ldap', 'directory: no password in clear by default, and a wrong one is auth-failed after exactly one bind', async (t, info) => {
  const dir = tempDir(t);
  const admin = info.credentials.admin!;
  const alice = info.credentials.alice!;
  await addCred(t, dir, 'root', ['--bind-dn', admin.username], admin.password!, info.address);
  await addCred(t, dir, 'wrong', ['--bind-dn', alice.username], 'Wrong-Pass-9', info.address);
  const before = slapdBinds(info, admin.username);
  const refused = await cli(dir, ['directory', 'scan', `ldap://${info.address}`, '--creds', 'root', '--format', 'json']);
  t.is(refused.code, 1, refused.stderr);
  const doc = JSON.parse(refused.stdout) as ScanJson;
  t.is(doc.status, 'unsupported');
  t.regex(doc.notes[0]!, /offers no TLS .*was not sent in clear.*--allow-plaintext-bind/);
  t.is(slapdBinds(info, admin.username), before, 'no bind reached slapd');

  const aliceBefore = slapdBinds(info, alice.username);
  const wrong = await cli(dir, ['directory', 'scan', `ldap://${info.address}`, '--creds', 'wrong', '--allow-plaintext-bind', '--format', 'json']);
  t.is(wrong.code, 1);
  const w = JSON.parse(wrong.stdout) as ScanJson;
  t.is(w.status, 'auth-failed');
  t.regex(w.notes[0]!, /invalid credentials for uid=alice,ou=people,dc=lab,dc=test \(credential wrong/);
  t.is(slapdBinds(info, alice.username), aliceBefore + 1, 'exactly one bind attempt');
  assertNoSecrets(t, dir, [admin.password!, 'Wrong-Pass-9']);
});

labTest('ldap', 'directory: users and groups equal ldapsearch, paged past the size limit, nested admin group paths', async (t, info) => {
  const truth = truthOf<LdapTruth>(info);
  const dir = tempDir(t);
  const alice = info.credentials.alice!;
  // The limit is real for this account: an unpaged search stops at it (ldapsearch exit 4, sizeLimitExceeded).
  const unpaged = spawnSync('ldapsearch', ['-x', '-LLL', '-H', `ldap://${info.address}`, '-D', alice.username, '-w', alice.password!, '-b', truth.base, '(objectClass=inetOrgPerson)', 'dn']);
  t.is(unpaged.status, 4, 'the server limits unpaged searches');
  t.true(truth.users.length > 2000, 'the directory is larger than the size limit');

  await addCred(t, dir, 'alice', ['--bind-dn', alice.username], alice.password!, info.address);
  const r = await cli(dir, ['directory', 'scan', `ldap://${info.address}`, '--creds', 'alice', '--allow-plaintext-bind', '--privileged-group', 'ldap-admins', '--format', 'json']);
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as ScanJson;
  t.is(doc.status, 'success');
  t.is(doc.connection.transport, 'plaintext');
  t.log(`${doc.accounts.length} users and ${doc.groups.length} groups in ${doc.elapsedMs} ms`);

  const today = Math.floor(Date.now() / 86_400_000);
  const byDn = (a: { dn: string }, b: { dn: string }) => a.dn.localeCompare(b.dn);
  t.deepEqual(
    doc.accounts.map((a) => ({ dn: a.details.dn as string, name: a.name, uidNumber: a.details.uidNumber, enabled: a.enabled })).sort(byDn),
    truth.users.map((u) => ({ dn: u.dn, name: u.uid, uidNumber: u.uidNumber, enabled: !(u.shadowExpire !== null && Number(u.shadowExpire) <= today) })).sort(byDn),
  );
  const dnOfUid = new Map(truth.users.map((u) => [u.uid, u.dn]));
  t.deepEqual(
    doc.groups.map((g) => ({ dn: g.dn, name: g.name, members: [...g.members].sort() })).sort(byDn),
    truth.groups.map((g) => ({ dn: g.dn, name: g.cn, members: [...g.member, ...g.memberUid.map((u) => dnOfUid.get(u)!)].sort() })).sort(byDn),
  );
  // Nested members of ldap-admins, walked here over ldapsearch's member lists.
  const admins = truth.groups.find((g) => g.cn === 'ldap-admins')!;
  const members = new Set<string>();
  const walk = (dns: string[]) => {
    for (const m of dns) {
      const g = truth.groups.find((x) => x.dn.toLowerCase() === m.toLowerCase());
      if (g) walk([...g.member, ...g.memberUid.map((u) => dnOfUid.get(u)!)]);
      else members.add(m.toLowerCase());
    }
  };
  walk(admins.member);
  t.deepEqual(doc.accounts.filter((a) => a.privileged).map((a) => (a.details.dn as string).toLowerCase()).sort(), [...members].sort());
  const bob = doc.accounts.find((a) => a.name === 'bob')!;
  t.deepEqual(bob.reasons, ['member of ldap-admins through operators']);
  t.deepEqual((bob.details.privilegePaths as Array<{ path: string[] }>)[0]!.path, ['bob', 'operators', 'ldap-admins']);

  const stored = await cli(dir, ['accounts', '--kind', 'domain', '--format', 'json']);
  const accounts = (JSON.parse(stored.stdout) as { accounts: Array<{ address: string; current: boolean }> }).accounts;
  t.is(accounts.length, truth.users.length);
  t.true(accounts.every((a) => a.address === info.address && a.current));
  assertNoSecrets(t, dir, [alice.password!]);
});

// ------------------------------------------------------------------------------------------------------ AD DC

function inNs(info: ServerInfo, command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('ip', ['netns', 'exec', info.netns!, command, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function ldapsearch(info: ServerInfo, filter: string, ...attributes: string[]) {
  const admin = info.credentials.administrator!;
  return parseLdif(inNs(info, 'ldapsearch', ['-LLL', '-o', 'ldif-wrap=no', '-x', '-H', `ldaps://${info.address}`, '-D', admin.username, '-w', admin.password!,
    '-b', info.extra.base!, '-E', 'pr=500/noprompt', filter, ...attributes], { LDAPTLS_REQCERT: 'never' }));
}

async function adCred(t: ExecutionContext, dir: string, info: ServerInfo, name = 'dc', password?: string): Promise<void> {
  const admin = info.credentials.administrator!;
  await addCred(t, dir, name, ['--username', admin.username], password ?? admin.password!, info.address);
}

labTest('addc', 'directory: an untrusted certificate gets no password; a CA file, a pin or StartTLS are trusted; a wrong password is auth-failed', async (t, info) => {
  const dir = tempDir(t);
  await adCred(t, dir, info);
  await adCred(t, dir, info, 'wrong', 'Wrong-Pass-9');
  const ns = info.netns!;
  const ca = info.extra.caFile!;
  const scan = async (url: string, ...extra: string[]) => {
    const r = await cli(dir, ['directory', 'scan', url, '--creds', 'dc', '--format', 'json', ...extra], { netns: ns });
    return { code: r.code, doc: JSON.parse(r.stdout) as ScanJson, stderr: r.stderr };
  };
  const untrusted = await scan('ldaps://dc1.lab.test');
  t.is(untrusted.code, 1);
  t.is(untrusted.doc.status, 'untrusted');
  t.regex(untrusted.doc.notes[0]!, /certificate is not trusted.*was not sent/);
  const byAddress = await scan(`ldaps://${info.address}`, '--ca-file', ca);
  t.is(byAddress.doc.status, 'untrusted', 'the certificate names DC1.lab.test, not the address');
  const named = await scan(`ldaps://${info.address}`, '--ca-file', ca, '--tls-name', 'dc1.lab.test');
  t.is(named.doc.status, 'success', named.stderr);

  const cert = join(info.dir, 'private', 'tls', 'cert.pem');
  const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', cert], { encoding: 'utf8' }).trim().replace(/^.*=/, '');
  const pinned = await scan(`ldaps://${info.address}`, '--pin-sha256', fingerprint);
  t.is(pinned.doc.status, 'success', pinned.stderr);
  t.is(pinned.doc.connection.tls!.trustedBy, 'pin');
  t.is(pinned.doc.connection.tls!.sha256, fingerprint);
  const otherPin = fingerprint.replace(/^[0-9A-F]/, (c) => (c === 'A' ? 'B' : 'A'));
  const mispinned = await scan(`ldaps://${info.address}`, '--pin-sha256', otherPin);
  t.is(mispinned.doc.status, 'untrusted');
  t.true(mispinned.doc.notes[0]!.includes(fingerprint) && mispinned.doc.notes[0]!.includes(otherPin), 'the note names both fingerprints');

  const starttls = await scan('ldap://dc1.lab.test', '--ca-file', ca);
  t.is(starttls.doc.status, 'success', starttls.stderr);
  t.is(starttls.doc.connection.transport, 'starttls');

  const wrong = await cli(dir, ['directory', 'scan', 'ldaps://dc1.lab.test', '--creds', 'wrong', '--ca-file', ca, '--format', 'json'], { netns: ns });
  t.is(wrong.code, 1);
  const w = JSON.parse(wrong.stdout) as ScanJson;
  t.is(w.status, 'auth-failed');
  t.regex(w.notes[0]!, /invalid credentials for Administrator@lab\.test \(credential wrong: wrong password\)/);
  assertNoSecrets(t, dir, [info.credentials.administrator!.password!, 'Wrong-Pass-9']);
});

labTest('addc', 'directory: users, groups, computers and policy equal ldapsearch; privileged = in-chain members of the privileged groups, with paths', async (t, info) => {
  const truth = truthOf<AdTruth>(info);
  const dir = tempDir(t);
  await adCred(t, dir, info);
  const r = await cli(dir, ['directory', 'scan', 'ldaps://dc1.lab.test', '--creds', 'dc', '--ca-file', info.extra.caFile!, '--format', 'json'], { netns: info.netns });
  t.is(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as ScanJson;
  t.is(doc.status, 'success');
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

  t.deepEqual(
    doc.accounts.map((a) => ({
      name: a.name, dn: a.details.dn, enabled: a.enabled, neverExpires: (a.details.flags as Record<string, boolean>).passwordNeverExpires,
      spns: [...(a.details.servicePrincipalNames as string[])].sort(),
    })).sort(byName),
    truth.users.map((u) => ({ name: u.sAMAccountName, dn: u.dn, enabled: !u.disabled, neverExpires: u.passwordNeverExpires, spns: [...u.servicePrincipalName].sort() })).sort(byName),
  );
  t.deepEqual(
    doc.groups.map((g) => ({ name: g.name, dn: g.dn, members: [...g.members].sort() })).sort(byName),
    truth.groups.map((g) => ({ name: g.sAMAccountName, dn: g.dn, members: [...g.member].sort() })).sort(byName),
  );
  t.deepEqual(
    doc.computers.map((c) => ({ name: c.name, dnsHostName: c.dnsHostName ?? null, os: c.operatingSystem ?? null, version: c.operatingSystemVersion ?? null })).sort(byName),
    truth.computers.map((c) => ({ name: c.sAMAccountName.replace(/\$$/, ''), dnsHostName: c.dNSHostName?.toLowerCase() ?? null, os: c.operatingSystem, version: c.operatingSystemVersion })).sort(byName),
  );

  // Ground truth for privilege: ldapsearch's in-chain matching rule on each privileged group, found by SID.
  const domainSid = /Domain Sid: (S-[\d-]+)/.exec(inNs(info, 'rpcclient', ['-U', `LAB\\Administrator%${info.credentials.administrator!.password}`, info.address, '-c', 'lsaquery']))![1]!;
  const sids = [512, 518, 519, 520].map((rid) => `${domainSid}-${rid}`).concat(['S-1-5-32-544', 'S-1-5-32-548', 'S-1-5-32-549', 'S-1-5-32-550', 'S-1-5-32-551']);
  const groupDns = [
    ...sids.flatMap((sid) => ldapsearch(info, `(objectSid=${sid})`, 'dn').map((e) => e.dn)),
    ...ldapsearch(info, '(&(objectClass=group)(sAMAccountName=DnsAdmins))', 'dn').map((e) => e.dn),
  ];
  t.true(groupDns.length >= 9, `found the privileged groups (${groupDns.length})`);
  const privileged = new Set<string>();
  for (const dn of groupDns) {
    for (const e of ldapsearch(info, `(&(objectCategory=person)(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=${dn}))`, 'sAMAccountName')) {
      privileged.add(e.attributes.samaccountname![0]!);
    }
  }
  // surveyor's policy adds the accounts privileged by their RID: Administrator (500) and krbtgt (502).
  for (const e of ldapsearch(info, `(|(objectSid=${domainSid}-500)(objectSid=${domainSid}-502))`, 'sAMAccountName')) privileged.add(e.attributes.samaccountname![0]!);
  t.deepEqual(doc.accounts.filter((a) => a.privileged).map((a) => a.name).sort(), [...privileged].sort());

  const account = (name: string) => doc.accounts.find((a) => a.name === name)!;
  t.true(account('tier0admin').reasons.includes('member of Domain Admins through Lab Tier0'));
  t.deepEqual((account('tier0admin').details.privilegePaths as Array<{ group: string; path: string[] }>).find((p) => p.group === 'Domain Admins')!.path, ['tier0admin', 'Lab Tier0', 'Domain Admins']);
  t.true(account('da-direct').reasons.includes('member of Domain Admins'));
  t.is(account('disabled-user').enabled, false);
  t.true(account('svc-sql').details.hasSpn as boolean);
  t.true((account('svc-backup').details.flags as Record<string, boolean>).passwordNeverExpires);
  t.true(account('svc-backup').reasons.includes('member of Backup Operators'));
  t.false(account('labuser').privileged);
  t.regex(account('tier0admin').uid, new RegExp(`^${domainSid}-\\d+$`));

  const head = ldapsearch(info, '(objectClass=domainDNS)', 'minPwdLength', 'pwdHistoryLength', 'lockoutThreshold', 'pwdProperties')[0]!.attributes;
  t.like(doc.passwordPolicy, {
    minLength: Number(head.minpwdlength![0]), historyLength: Number(head.pwdhistorylength![0]), lockoutThreshold: Number(head.lockoutthreshold![0]),
    complexity: (Number(head.pwdproperties![0]) & 1) === 1,
  });

  // Computers: WS01 resolves inside the namespace and becomes an asset not yet scanned; SQL01 does not resolve.
  const computers = JSON.parse((await cli(dir, ['directory', 'computers', '--format', 'json'])).stdout) as { computers: Array<{ name: string; address?: string }> };
  const ws01 = inNs(info, 'getent', ['hosts', 'ws01.lab.test']).split(/\s+/)[0];
  t.is(computers.computers.find((c) => c.name === 'WS01')!.address, ws01);
  t.is(computers.computers.find((c) => c.name === 'SQL01')!.address, undefined);
  const assets = await cli(dir, ['assets']);
  t.regex(assets.stdout, new RegExp(`${ws01!.replace(/\./g, '\\.')}\\s+ws01\\.lab\\.test\\s+not scanned\\s+Windows 10 Enterprise 10\\.0 \\(19045\\) \\(directory\\)`));
  const stored = JSON.parse((await cli(dir, ['accounts', '--kind', 'domain', '--privileged', '--format', 'json'])).stdout) as { accounts: Array<{ name: string }> };
  t.deepEqual(stored.accounts.map((a) => a.name).sort(), [...privileged].sort());
  assertNoSecrets(t, dir, [info.credentials.administrator!.password!]);
});

labTest('addc', 'scan --from-directory sweeps the resolvable directory computers and enumerates the DC found by its rootDSE', async (t, info) => {
  const dir = tempDir(t);
  await adCred(t, dir, info);
  const ca = info.extra.caFile!;
  const first = await cli(dir, ['directory', 'scan', 'ldaps://dc1.lab.test', '--creds', 'dc', '--ca-file', ca], { netns: info.netns });
  t.is(first.code, 0, first.stderr);
  const r = await cli(dir, ['scan', '--from-directory', '--ports', '389,636', '--creds', 'dc', '--ldap-ca-file', ca, '--no-progress', '--format', 'jsonl'], { netns: info.netns });
  t.is(r.code, 0, r.stderr);
  const truth = truthOf<AdTruth>(info);
  const resolvable = truth.computers.filter((c) => c.dNSHostName && spawnSync('ip', ['netns', 'exec', info.netns!, 'getent', 'hosts', c.dNSHostName]).status === 0);
  t.true(resolvable.length >= 2 && resolvable.length < truth.computers.length, 'some computers resolve, some do not');
  t.regex(r.stderr, new RegExp(`from the directory: ${truth.computers.length} computer\\(s\\), ${resolvable.length} resolve`));
  for (const c of truth.computers.filter((x) => !resolvable.includes(x))) t.true(r.stderr.includes(`skipped ${c.sAMAccountName.replace(/\$$/, '')} (${c.dNSHostName!.toLowerCase()})`));
  const scans = JSON.parse((await cli(dir, ['scans', '--format', 'json'])).stdout) as { scans: Array<{ kind?: string; targets: string[] }> } | Array<{ targets: string[] }>;
  const list = Array.isArray(scans) ? scans : scans.scans;
  t.deepEqual([...list[list.length - 1]!.targets].sort(), resolvable.map((c) => c.dNSHostName!.toLowerCase()).sort());
  const dc = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { address: string; enumerations?: Array<{ method: string; status: string; accounts: number; privileged: string[] }> })
    .find((h) => h.address === info.address)!;
  t.like(dc.enumerations?.[0], { method: 'ldap', status: 'success', accounts: truth.users.length });
  t.true(dc.enumerations![0]!.privileged.includes('tier0admin'));
});
