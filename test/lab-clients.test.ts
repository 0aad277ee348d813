/**
 * Every lab server, reached with a plain client library or raw socket, and compared with the ground truth the lab
 * wrote from the server's own tools (getent, ssh-keygen, ldapsearch, snmpwalk, openssl, doveadm, SQL).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Client as LdapClient, InvalidCredentialsError } from 'ldapts';
import mysql from 'mysql2/promise';
import snmp from 'net-snmp';
import pg from 'pg';
import { Client as SshClient, ConnectConfig } from 'ssh2';
import { readBanner } from '../fixtures/lab/exec.js';
import { X224_NEG_REQ } from '../fixtures/lab/servers/rdp.js';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { labTest, truthOf } from './helpers/lab.js';

// ---------------------------------------------------------------------------------------------------- ssh (ssh2)

interface SshTruth {
  banner: string;
  package: { upstream: string };
  users: Array<{ name: string; uid: number; gid: number; home: string; shell: string }>;
  groups: Array<{ name: string; members: string[] }>;
  hostKeys: Array<{ fingerprint: string; type: string }>;
}

function sshRun(config: ConnectConfig, command: string, seenKeys: string[] = []): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve, reject) => {
    const c = new SshClient();
    c.on('ready', () =>
      c.exec(command, (err, stream) => {
        if (err) return reject(err);
        let stdout = '';
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', () => {});
        stream.on('close', (code: number) => {
          c.end();
          resolve({ stdout, code });
        });
      }),
    );
    c.on('error', reject);
    c.connect({
      ...config,
      readyTimeout: 10000,
      hostVerifier: (key: Buffer) => {
        seenKeys.push(`SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`);
        return true;
      },
    });
  });
}

labTest('ssh', 'password login, sudo, and the local users and groups equal getent', async (t, info) => {
  const truth = truthOf<SshTruth>(info);
  const admin = info.credentials.admin!;
  const hostKeys: string[] = [];
  const base = { host: info.address, port: info.ports.ssh!, username: admin.username };
  const who = await sshRun({ ...base, password: admin.password }, 'id -un; sudo -n id -u', hostKeys);
  t.deepEqual(who.stdout.trim().split('\n'), [admin.username, '0']);
  t.true(truth.hostKeys.some((k) => k.fingerprint === hostKeys[0]), 'the host key offered is one ssh-keygen fingerprinted');
  const names = truth.users.map((u) => u.name);
  const passwd = await sshRun({ ...base, password: admin.password }, `getent passwd ${names.join(' ')}`);
  const seen = passwd.stdout.trim().split('\n').map((l) => {
    const [name, , uid, gid, , home, shell] = l.split(':');
    return { name, uid: Number(uid), gid: Number(gid), home, shell };
  });
  t.deepEqual(seen, truth.users.map(({ name, uid, gid, home, shell }) => ({ name, uid, gid, home, shell })));
  const groups = await sshRun({ ...base, password: admin.password }, `getent group ${truth.groups.map((g) => g.name).join(' ')}`);
  t.deepEqual(groups.stdout.trim().split('\n').map((l) => l.split(':')[3]!.split(',')), truth.groups.map((g) => g.members));
});

labTest('ssh', 'key login works, a wrong password is refused, the banner carries the packaged version', async (t, info) => {
  const truth = truthOf<SshTruth>(info);
  const admin = info.credentials.admin!;
  const base = { host: info.address, port: info.ports.ssh!, username: admin.username };
  const viaKey = await sshRun({ ...base, privateKey: readFileSync(admin.keyFile!) }, 'id -un');
  t.is(viaKey.stdout.trim(), admin.username);
  const err = await t.throwsAsync(sshRun({ ...base, password: 'wrong-password' }, 'true'));
  t.regex(err!.message, /All configured authentication methods failed/);
  const banner = await readBanner(info.address, info.ports.ssh!);
  t.is(banner, truth.banner);
  t.true(banner.includes(`OpenSSH_${truth.package.upstream}`));
});

// ------------------------------------------------------------------------------------------------- ldap (ldapts)

/** ldapts gives a string for one value, an array for several, and [] for a requested attribute the entry lacks. */
const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

interface LdapTruth {
  base: string;
  users: Array<{ dn: string; uid: string; uidNumber: number; shadowExpire: string | null }>;
  groups: Array<{ dn: string; member: string[]; memberUid: string[] }>;
}

labTest('ldap', 'users and groups read with ldapts equal ldapsearch', async (t, info) => {
  const truth = truthOf<LdapTruth>(info);
  const client = new LdapClient({ url: `ldap://${info.address}:${info.ports.ldap}` });
  t.teardown(() => client.unbind());
  await client.bind(info.credentials.admin!.username, info.credentials.admin!.password!);
  const people = await client.search(`ou=people,${truth.base}`, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid', 'uidNumber', 'shadowExpire'], paged: true });
  t.deepEqual(
    people.searchEntries.map((e) => ({ dn: e.dn, uid: e.uid, uidNumber: Number(e.uidNumber), shadowExpire: asList(e.shadowExpire)[0] ?? null })).sort((a, b) => a.dn.localeCompare(b.dn)),
    truth.users.map(({ dn, uid, uidNumber, shadowExpire }) => ({ dn, uid, uidNumber, shadowExpire })).sort((a, b) => a.dn.localeCompare(b.dn)),
  );
  const groups = await client.search(`ou=groups,${truth.base}`, { filter: '(|(objectClass=posixGroup)(objectClass=groupOfNames))', attributes: ['member', 'memberUid'] });
  t.deepEqual(
    groups.searchEntries.map((e) => ({ dn: e.dn, member: asList(e.member), memberUid: asList(e.memberUid) })).sort((a, b) => a.dn.localeCompare(b.dn)),
    truth.groups.map(({ dn, member, memberUid }) => ({ dn, member, memberUid })).sort((a, b) => a.dn.localeCompare(b.dn)),
  );
  const nested = truth.groups.find((g) => g.member.some((m) => m.startsWith('cn=')));
  t.truthy(nested, 'the lab has a nested group');
});

labTest('ldap', 'a wrong password is InvalidCredentialsError', async (t, info) => {
  const client = new LdapClient({ url: `ldap://${info.address}:${info.ports.ldap}` });
  await t.throwsAsync(client.bind(info.credentials.alice!.username, 'wrong-password'), { instanceOf: InvalidCredentialsError });
  await client.unbind();
});

// ---------------------------------------------------------------------------------------------- snmp (net-snmp)

interface SnmpTruth {
  sysName: string;
  software: string[];
}

const SYS_NAME = '1.3.6.1.2.1.1.5.0';
const HR_SW_INSTALLED_NAME = '1.3.6.1.2.1.25.6.3.1.2';

function snmpGet(session: snmp.Session, oid: string): Promise<string> {
  return new Promise((resolve, reject) =>
    session.get([oid], (err, varbinds) => {
      if (err) return reject(err);
      const vb = varbinds![0]!;
      if (snmp.isVarbindError(vb)) return reject(new Error(snmp.varbindError(vb)));
      resolve(String(vb.value));
    }),
  );
}

function snmpWalk(session: snmp.Session, oid: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const values: string[] = [];
    session.subtree(oid, 20, (varbinds) => {
      for (const vb of varbinds) values.push(String(vb.value));
    }, (err) => (err ? reject(err) : resolve(values)));
  });
}

labTest('snmp', 'v2c get and a walk of the software table equal snmpget and snmpwalk', async (t, info) => {
  const truth = truthOf<SnmpTruth>(info);
  const session = snmp.createSession(info.address, info.extra.community!, { version: snmp.Version2c, timeout: 2000, retries: 1 });
  t.teardown(() => session.close());
  t.is(await snmpGet(session, SYS_NAME), truth.sysName);
  t.deepEqual(await snmpWalk(session, HR_SW_INSTALLED_NAME), truth.software);
});

labTest('snmp', 'v3 authPriv (SHA-256/AES) works and a wrong community gets no answer', async (t, info) => {
  const truth = truthOf<SnmpTruth>(info);
  const v3 = info.credentials.v3!;
  const session = snmp.createV3Session(info.address, {
    name: v3.username, level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols.sha256, authKey: v3.password!,
    privProtocol: snmp.PrivProtocols.aes, privKey: info.extra.v3PrivPassword!,
  }, { timeout: 2000, retries: 1 });
  t.teardown(() => session.close());
  t.is(await snmpGet(session, SYS_NAME), truth.sysName);
  const wrong = snmp.createSession(info.address, 'not-the-community', { version: snmp.Version2c, timeout: 300, retries: 0 });
  t.teardown(() => wrong.close());
  // net-snmp's RequestTimedOutError does not extend Error
  await t.throwsAsync(snmpGet(wrong, SYS_NAME), { any: true, name: 'RequestTimedOutError' });
});

// ----------------------------------------------------------------------------------------------- http + tls

interface HttpTruth {
  serverHeader: string;
  title: string;
  certificate: { sha256: string; subject: string; subjectAltNames: string[] };
}

function tlsPeer(socket: TLSSocket): Promise<ReturnType<TLSSocket['getPeerCertificate']>> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

labTest('http', 'the TLS handshake shows the certificate openssl made', async (t, info) => {
  const truth = truthOf<HttpTruth>(info);
  const cert = await tlsPeer(tlsConnect({ host: info.address, port: info.ports.https!, servername: 'web.lab.test', rejectUnauthorized: false }));
  t.is(cert.fingerprint256, truth.certificate.sha256);
  t.is(cert.subject.CN, 'web.lab.test');
  t.deepEqual(cert.subjectaltname!.split(', '), truth.certificate.subjectAltNames);
});

labTest('http', 'plain HTTP answers with the Server header and page title nginx serves', async (t, info) => {
  const truth = truthOf<HttpTruth>(info);
  const { status, server, body } = await new Promise<{ status: number; server: string; body: string }>((resolve, reject) => {
    request({ host: info.address, port: info.ports.http, path: '/' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, server: String(res.headers.server), body }));
    }).on('error', reject).end();
  });
  t.is(status, 200);
  t.is(server, truth.serverHeader);
  t.is(/<title>(.*)<\/title>/.exec(body)?.[1], truth.title);
});

// -------------------------------------------------------------------------------------------------------- pop3

labTest('pop3', 'the banner and a USER/PASS login, raw over TCP', async (t, info) => {
  const truth = truthOf<{ banner: string; users: string[] }>(info);
  const user = info.credentials.mailuser!;
  t.deepEqual(truth.users, Object.values(info.credentials).map((c) => c.username).sort());
  const lines = await new Promise<string[]>((resolve, reject) => {
    const s: Socket = netConnect({ host: info.address, port: info.ports.pop3! });
    const got: string[] = [];
    const script = [`USER ${user.username}`, `PASS ${user.password}`, 'STAT', 'QUIT'];
    let buffer = '';
    s.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        got.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 2);
        const next = script.shift();
        if (next) s.write(`${next}\r\n`);
      }
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
  t.is(lines[0], truth.banner);
  t.true(lines.slice(1).every((l) => l.startsWith('+OK')), lines.join(' | '));
});

// --------------------------------------------------------------------------------------------------------- rdp

labTest('rdp', 'X.224 negotiation selects TLS, and the TLS certificate is the one openssl made', async (t, info) => {
  const truth = truthOf<{ selectedProtocol: number; certificate: { sha256: string } }>(info);
  const socket = netConnect({ host: info.address, port: info.ports.rdp! });
  const confirm = await new Promise<Buffer>((resolve, reject) => {
    socket.once('connect', () => socket.write(X224_NEG_REQ));
    socket.once('data', resolve);
    socket.once('error', reject);
  });
  t.is(confirm[0], 3, 'TPKT version 3');
  t.is(confirm[5]! & 0xf0, 0xd0, 'X.224 Connection Confirm');
  t.is(confirm[11], 2, 'RDP_NEG_RSP');
  const selected = confirm.readUInt32LE(15);
  t.is(selected, truth.selectedProtocol);
  t.is(selected, 1, 'PROTOCOL_SSL');
  const cert = await tlsPeer(tlsConnect({ socket, rejectUnauthorized: false }));
  t.is(cert.fingerprint256, truth.certificate.sha256);
});

// ------------------------------------------------------------------------------------------ mysql (mysql2)

labTest('mysql', 'a login with mysql2 sees the version and users the server reports', async (t, info) => {
  const truth = truthOf<{ version: string; users: Array<{ user: string; host: string; super: boolean }> }>(info);
  const dba = info.credentials.dba!;
  const conn = await mysql.createConnection({ host: info.address, port: info.ports.mysql, user: dba.username, password: dba.password });
  t.teardown(() => conn.end());
  const [version] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
  t.is(version[0]!.v, truth.version);
  const [users] = await conn.query<mysql.RowDataPacket[]>("SELECT User AS user, Host AS host, Super_priv = 'Y' AS su FROM mysql.user WHERE User <> '' ORDER BY User, Host");
  t.deepEqual(users.map((u) => ({ user: u.user, host: u.host, super: u.su === 1 })), truth.users.map(({ user, host, super: s }) => ({ user, host, super: s })));
  t.true(truth.users.some((u) => u.super), 'one user is privileged');
  await t.throwsAsync(mysql.createConnection({ host: info.address, port: info.ports.mysql, user: dba.username, password: 'wrong' }), { message: /Access denied/ });
});

// ----------------------------------------------------------------------------------------------- postgres (pg)

labTest('postgres', 'a login with pg sees the version and roles the server reports', async (t, info) => {
  const truth = truthOf<{ serverVersion: string; roles: Array<{ name: string; superuser: boolean; login: boolean }> }>(info);
  const dba = info.credentials.dba!;
  const client = new pg.Client({ host: info.address, port: info.ports.postgres, user: dba.username, password: dba.password, database: 'postgres' });
  await client.connect();
  t.teardown(() => client.end());
  t.is((await client.query('SHOW server_version')).rows[0].server_version, truth.serverVersion);
  const roles = await client.query("SELECT rolname AS name, rolsuper AS superuser, rolcanlogin AS login FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname");
  t.deepEqual(roles.rows, truth.roles);
  const wrong = new pg.Client({ host: info.address, port: info.ports.postgres, user: dba.username, password: 'wrong', database: 'postgres' });
  await t.throwsAsync(wrong.connect(), { message: /password authentication failed/ });
});

// ------------------------------------------------------------------------------------------ addc (in its namespace)

const NETNS_LDAP = fileURLToPath(new URL('./helpers/netns-ldap-search.js', import.meta.url));

function searchInNamespace(info: ServerInfo, filter: string, ...attributes: string[]): Array<Record<string, unknown>> {
  const admin = info.credentials.administrator!;
  const out = execFileSync('ip', ['netns', 'exec', info.netns!, process.execPath, NETNS_LDAP, `ldaps://${info.address}:${info.ports.ldaps}`,
    admin.username, admin.password!, info.extra.base!, filter, ...attributes], { encoding: 'utf8' });
  return JSON.parse(out) as Array<Record<string, unknown>>;
}

labTest('addc', 'ldapts over LDAPS inside the namespace sees the users, computers and nested Domain Admins ldapsearch saw', (t, info) => {
  const truth = truthOf<{
    users: Array<{ sAMAccountName: string; disabled: boolean; passwordNeverExpires: boolean; servicePrincipalName: string[] }>;
    computers: Array<{ sAMAccountName: string; operatingSystem: string | null }>;
    domainAdminsRecursive: string[];
  }>(info);
  const users = searchInNamespace(info, '(&(objectCategory=person)(objectClass=user))', 'sAMAccountName', 'userAccountControl');
  t.deepEqual(users.map((u) => String(u.sAMAccountName)).sort(), truth.users.map((u) => u.sAMAccountName).sort());
  const computers = searchInNamespace(info, '(objectClass=computer)', 'sAMAccountName', 'operatingSystem');
  t.deepEqual(
    computers.map((c) => [String(c.sAMAccountName), String(c.operatingSystem)]).sort(),
    truth.computers.map((c) => [c.sAMAccountName, String(c.operatingSystem)]).sort(),
  );
  const das = searchInNamespace(info, `(memberOf:1.2.840.113556.1.4.1941:=CN=Domain Admins,CN=Users,${info.extra.base})`, 'sAMAccountName');
  t.deepEqual(das.map((d) => String(d.sAMAccountName)).sort(), truth.domainAdminsRecursive);
  t.true(truth.domainAdminsRecursive.includes('tier0admin'), 'a Domain Admin through a nested group');
  t.true(truth.users.some((u) => u.disabled && u.sAMAccountName === 'disabled-user'));
  t.true(truth.users.some((u) => u.servicePrincipalName.length > 0 && u.sAMAccountName === 'svc-sql'));
  t.true(truth.users.some((u) => u.passwordNeverExpires && u.sAMAccountName === 'svc-backup'));
});
