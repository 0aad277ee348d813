/**
 * `surveyor scan` of the whole lab, fingerprinting by default: every server's service, product, version and host
 * facts compared with the ground truth its own tools wrote (dpkg-query, ssh-keygen, openssl, SQL, ldapsearch).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { labServer, labTest, truthOf } from './helpers/lab.js';
import { jsonLines, runCli, tempDir } from './helpers/cli.js';
import type { ServerInfo } from '../fixtures/lab/types.js';

type Port = { port: number; service?: string; product?: string; version?: string; state: string; namingContexts?: string[] };
type Asset = { address: string; hostnames: string[]; ports: Port[]; os?: { family?: string; name?: string; version?: string }; domain?: string };

let scan: Promise<Map<string, Asset>> | null = null;
let scanDb: string | null = null;
/** The shared scan's folder, removed once the file's tests are done. */
let scanDir: string | null = null;
test.after.always('remove the shared scan\'s folder', () => {
  if (scanDir) rmSync(scanDir, { recursive: true, force: true });
});
/** One scan of 127.<tag>.0.0/28 for all tests in this file. */
function labScan(): Promise<Map<string, Asset>> {
  const ssh = labServer('ssh');
  if (typeof ssh === 'string') return Promise.resolve(new Map());
  scan ??= (async () => {
    const cidr = ssh.address.replace(/\.\d+$/, '.0/28');
    const db = join(mkdtempSync(join(tmpdir(), 'surveyor-fp-')), 's.db');
    scanDb = db;
    scanDir = dirname(db);
    const r = await runCli(['scan', cidr, '--db', db, '--format', 'jsonl', '--no-progress']);
    if (r.code !== 0) throw new Error(`scan failed: ${r.stderr}`);
    return new Map(jsonLines(r.stdout).map((o) => [o.address as string, o as unknown as Asset]));
  })();
  return scan;
}

async function portOf(info: ServerInfo, name: string): Promise<{ asset: Asset; port: Port }> {
  const asset = (await labScan()).get(info.address);
  if (!asset) throw new Error(`${info.address} not in the scan`);
  const port = asset.ports.find((p) => p.port === info.ports[name]);
  if (!port) throw new Error(`${info.address}:${info.ports[name]} not in the scan`);
  return { asset, port };
}

labTest('ssh', 'fingerprint: OpenSSH with the packaged version, Debian with its release', async (t, info) => {
  const truth = truthOf<{ package: { full: string; upstream: string } }>(info);
  const { asset, port } = await portOf(info, 'ssh');
  t.like(port, { service: 'ssh', product: 'OpenSSH', version: truth.package.upstream });
  const release = /deb(\d+)u/.exec(truth.package.full)?.[1];
  t.like(asset.os, { family: 'Linux', name: 'Debian', version: release });
});

labTest('http', 'fingerprint: nginx and its version on HTTP and HTTPS, the certificate name as a host name', async (t, info) => {
  const truth = truthOf<{ serverHeader: string }>(info);
  const version = truth.serverHeader.split('/')[1];
  const http = await portOf(info, 'http');
  t.like(http.port, { service: 'http', product: 'nginx', version });
  const https = await portOf(info, 'https');
  t.like(https.port, { service: 'https', product: 'nginx', version });
  t.true(https.asset.hostnames.includes('web.lab.test'));
});

labTest('pop3', 'fingerprint: Dovecot POP3', async (t, info) => {
  const { port } = await portOf(info, 'pop3');
  t.like(port, { service: 'pop3', product: 'Dovecot' });
});

labTest('ldap', 'fingerprint: OpenLDAP from its rootDSE', async (t, info) => {
  const { port } = await portOf(info, 'ldap');
  t.like(port, { service: 'ldap', product: 'OpenLDAP' });
});

/** The rootDSE's naming contexts as ldapsearch reads them (LDIF: a base64 value after "::"). */
function namingContextsByLdapsearch(info: ServerInfo): string[] {
  const out = execFileSync('ldapsearch', ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', `ldap://${info.address}:${info.ports.ldap}`, '-s', 'base', '-b', '', 'namingContexts']).toString();
  return out.split('\n').flatMap((l) => {
    const m = /^namingContexts(::?) (.*)$/.exec(l);
    return m ? [m[1] === '::' ? Buffer.from(m[2]!, 'base64').toString('utf8') : m[2]!] : [];
  });
}

labTest('ldap', 'fingerprint: the naming contexts of the rootDSE on the service, in scan, assets and assets show output, as ldapsearch reads them', async (t, info) => {
  const truth = namingContextsByLdapsearch(info);
  t.true(truth.length > 0, 'ldapsearch lists naming contexts');
  const { port } = await portOf(info, 'ldap');
  t.deepEqual(port.namingContexts, truth);
  const listed = await runCli(['assets', '--db', scanDb!, '--format', 'json']);
  const asset = (JSON.parse(listed.stdout) as { assets: Asset[] }).assets.find((a) => a.address === info.address)!;
  t.deepEqual(asset.ports.find((p) => p.port === info.ports.ldap)?.namingContexts, truth);
  const shown = await runCli(['assets', 'show', info.address, '--format', 'json', '--db', scanDb!]);
  t.deepEqual((JSON.parse(shown.stdout) as { ports: Port[] }).ports.find((p) => p.port === info.ports.ldap)?.namingContexts, truth);
  const table = await runCli(['assets', 'show', info.address, '--db', scanDb!]);
  t.true(table.stdout.includes(`naming contexts: ${truth.join('; ')}`), table.stdout);
});

labTest('rdp', 'fingerprint: RDP, xrdp\'s protocol choice, and the certificate name it presents after selecting TLS', async (t, info) => {
  const truth = truthOf<{ selectedProtocol: number }>(info);
  const { asset, port } = await portOf(info, 'rdp');
  t.like(port, { service: 'rdp' });
  t.true(asset.hostnames.includes('rdp.lab.test'));
  const shown = await runCli(['assets', 'show', info.address, '--format', 'json', '--db', scanDb!]);
  const rdp = (JSON.parse(shown.stdout) as { ports: Array<{ port: number; info?: string }> }).ports.find((p) => p.port === info.ports.rdp);
  const names: Record<number, string> = { 0: 'RDP', 1: 'SSL', 2: 'HYBRID', 8: 'HYBRID_EX' };
  t.is(rdp?.info, `${names[truth.selectedProtocol]} security`);
});

labTest('mysql', 'fingerprint: MariaDB with the version the server reports', async (t, info) => {
  const truth = truthOf<{ version: string }>(info);
  const { port } = await portOf(info, 'mysql');
  t.like(port, { service: 'mysql', product: 'MariaDB', version: truth.version.split('-')[0] });
});

labTest('postgres', 'fingerprint: PostgreSQL, its version bounded by the protocols it speaks (the exact one needs a login)', async (t, info) => {
  const truth = truthOf<{ serverVersion: string }>(info);
  const { port } = await portOf(info, 'postgres');
  t.like(port, { service: 'postgresql', product: 'PostgreSQL' });
  const major = Number(truth.serverVersion.split('.')[0]);
  t.is(port.version, major >= 18 ? '18 or later' : '17 or earlier');
});

labTest('addc', 'fingerprint: the DC from its rootDSE: Samba AD, DNS host name and domain (scanned inside its namespace)', async (t, info) => {
  const truth = truthOf<{ realm: string }>(info);
  const db = join(tempDir(t), 's.db');
  const r = await runCli(['scan', info.address, '--ports', '389,636', '--db', db, '--format', 'jsonl'], { prefix: ['ip', 'netns', 'exec', info.netns!] });
  t.is(r.code, 0, r.stderr);
  const [asset] = jsonLines(r.stdout) as unknown as Asset[];
  t.like(asset!.ports.find((p) => p.port === 389), { service: 'ldap', product: 'Samba Active Directory' });
  t.like(asset!.ports.find((p) => p.port === 636), { service: 'ldaps' });
  t.is(asset!.domain, truth.realm.toLowerCase());
  t.true(asset!.hostnames.includes(`dc1.${truth.realm.toLowerCase()}`));
});

labTest('smb', 'fingerprint: Samba over SMB 3.1.1, NetBIOS name and SAM domain from the NTLM challenge', async (t, info) => {
  const truth = truthOf<{ netbiosName: string; samDomain: string }>(info);
  const asset = (await labScan()).get(info.address) as Asset & { netbios?: { name?: string; domain?: string } };
  t.truthy(asset, 'the SMB server is in the scan');
  t.like(asset!.ports.find((p) => p.port === 445), { service: 'smb', product: 'Samba' });
  t.deepEqual(asset!.netbios, { name: truth.netbiosName, domain: truth.samDomain });
});

labTest('addc', 'fingerprint: the DC over SMB: NetBIOS and DNS names and domain from NTLM, signing required', async (t, info) => {
  const truth = truthOf<{ realm: string; netbiosDomain: string; dcNetbiosName: string }>(info);
  const db = join(tempDir(t), 's.db');
  const r = await runCli(['scan', info.address, '--ports', '445', '--db', db, '--format', 'jsonl'], { prefix: ['ip', 'netns', 'exec', info.netns!] });
  t.is(r.code, 0, r.stderr);
  const [asset] = jsonLines(r.stdout) as unknown as Array<Asset & { netbios?: { name?: string; domain?: string } }>;
  t.like(asset!.ports[0], { service: 'smb', product: 'Samba' });
  t.deepEqual(asset!.netbios, { name: truth.dcNetbiosName, domain: truth.netbiosDomain });
  t.is(asset!.domain, truth.realm.toLowerCase());
  t.true(asset!.hostnames.includes(`${truth.dcNetbiosName.toLowerCase()}.${truth.realm.toLowerCase()}`));
  const shown = await runCli(['scans', '--db', db, '--format', 'jsonl']);
  t.is(shown.code, 0);
});
