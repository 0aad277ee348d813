/**
 * The SMB2 client, DCE/RPC over its pipes, SAMR and LSARPC against real Samba standalone servers (the lab's,
 * fixtures/lab/servers/smb.ts, started by the test on 127.136.0.x in the namespace the test runs in), three ways:
 * default settings, `server signing = mandatory`, `server smb encrypt = required`. The expected values come from
 * Samba's own tools, never from the code under test: `pdbedit -Lv` for the users and their flags, `net sam listmem`
 * and `rpcclient queryaliasmem` / `lookupsids` for BUILTIN\Administrators, `net getlocalsid` for the domain SID,
 * `rpcclient lookupnames` for SIDs, and Samba's authentication log for the count of failed logons.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser } from '../fixtures/lab/host.js';
import type { ServerInfo } from '../fixtures/lab/types.js';
import { AUTH_LEVEL } from '../enum/dcerpc/auth.js';
import { bindPipe } from '../enum/dcerpc/smb-pipe.js';
import { enumerateLsa, LOGON_RIGHTS, LSARPC_SYNTAX, lsarClose, lsarLookupNames, lsarOpenPolicy2, type LsaInventory } from '../enum/msrpc/lsarpc.js';
import { type AliasMember, enumerateSam, type SamInventory } from '../enum/msrpc/samr.js';
import { Smb2Client, Smb2LogonError, Smb2PipeError } from '../enum/smb2/client.js';
import { COMMAND, DIALECT, FLAGS } from '../enum/smb2/constants.js';
import { isTransformed } from '../enum/smb2/transform.js';
import type { NtlmClientOptions } from '../enum/ntlm/client.js';
import { ProbeError } from '../probes/core/outcome.js';
import { namespaceTest } from './helpers/gate.js';
import { type SambaRun, withLabServer, withSamba } from './helpers/samba-standalone.js';
import { addcServer } from '../fixtures/lab/servers/addc.js';
import { parseLdif } from '../fixtures/lab/truth.js';
import { fileURLToPath } from 'node:url';

const TAG = 136;
const NETBIOS = 'LABSMB';
const hasSamba = () => (spawnSync('sh', ['-c', 'command -v smbd && command -v pdbedit && command -v rpcclient']).status === 0
  ? { ok: true as const } : { ok: false as const, why: 'Samba (smbd, pdbedit, rpcclient) is not installed' });

interface PdbUser {
  name: string;
  rid: number;
  fullName: string;
  flags: string;
  passwordLastSet: number | null;
  logonTime: number | null;
  badPasswordCount: number;
}

/** `pdbedit -Lv`: blocks of "Key: value" lines separated by dashes. */
function parsePdbedit(text: string): PdbUser[] {
  return text.split(/^-+$/m).map((block) => {
    const field = (key: string) => new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim() ?? '';
    const time = (key: string) => {
      const v = field(key);
      return v === '0' || v === '' || v === 'never' ? null : Date.parse(v);
    };
    return {
      name: field('Unix username'),
      rid: Number(field('User SID').split('-').pop()),
      fullName: field('Full Name'),
      flags: field('Account Flags').replace(/[[\]\s]/g, ''),
      passwordLastSet: time('Password last set'),
      logonTime: time('Logon time'),
      badPasswordCount: Number(field('Bad password count')),
    };
  }).filter((u) => u.name);
}

interface Fixture {
  readonly samba: SambaRun;
  readonly admin: NtlmClientOptions & { password: string };
  readonly plain: NtlmClientOptions & { password: string };
  readonly disabled: NtlmClientOptions & { password: string };
  readonly noExpiry: NtlmClientOptions & { password: string };
  readonly locked: NtlmClientOptions & { password: string };
  readonly mustChange: NtlmClientOptions & { password: string };
  readonly passwords: readonly string[];
}

/** The lab's users plus a disabled one ([D]) and one whose password never expires ([X]), made with Samba's tools. */
async function fixture(samba: SambaRun, prefix: string): Promise<Fixture> {
  const { info, conf, ctx, tool } = samba;
  const cred = (c: ServerInfo['credentials'][string]) => ({ domain: NETBIOS, user: c.username, password: c.password! });
  const extra = { disabled: `${prefix}dis`, noExpiry: `${prefix}nexp`, locked: `${prefix}lock`, mustChange: `${prefix}chg` };
  const passwords: Record<string, string> = {
    [extra.disabled]: 'Lab-Disabled-Pass-1', [extra.noExpiry]: 'Lab-NoExpiry-Pass-1', [extra.locked]: 'Lab-Locked-Pass-1', [extra.mustChange]: 'Lab-MustChange-Pass-1',
  };
  for (const name of Object.values(extra)) {
    await createUser(ctx, { name, comment: `surveyor ${name}` });
    await tool('smbpasswd', ['-c', conf, '-s', '-a', name], `${passwords[name]}\n${passwords[name]}\n`);
  }
  await tool('pdbedit', ['-s', conf, '-u', extra.disabled, '-c', '[D]']);
  await tool('pdbedit', ['-s', conf, '-u', extra.noExpiry, '-c', '[X]']);
  await tool('pdbedit', ['-s', conf, '-u', extra.locked, '-c', '[L]']);
  await tool('net', ['-s', conf, 'sam', 'set', 'pwdmustchangenow', extra.mustChange, 'yes']);
  // An orphaned member of BUILTIN\Administrators: an account added, then deleted, whose SID stays in the alias.
  const gone = `${prefix}gone`;
  await createUser(ctx, { name: gone, comment: 'surveyor deleted account' });
  await tool('smbpasswd', ['-c', conf, '-s', '-a', gone], 'Lab-Gone-Pass-1\nLab-Gone-Pass-1\n');
  await tool('net', ['-s', conf, 'sam', 'addmem', 'BUILTIN\\Administrators', `${NETBIOS}\\${gone}`]);
  await tool('pdbedit', ['-s', conf, '-x', '-u', gone]);
  const c = info.credentials;
  return {
    samba,
    admin: cred(c.admin!),
    plain: cred(c.user!),
    disabled: { domain: NETBIOS, user: extra.disabled, password: passwords[extra.disabled]! },
    noExpiry: { domain: NETBIOS, user: extra.noExpiry, password: passwords[extra.noExpiry]! },
    locked: { domain: NETBIOS, user: extra.locked, password: passwords[extra.locked]! },
    mustChange: { domain: NETBIOS, user: extra.mustChange, password: passwords[extra.mustChange]! },
    passwords: [...Object.values(c).map((x) => x.password!), ...Object.values(passwords)],
  };
}

async function session(info: ServerInfo, credential: NtlmClientOptions, dialects?: readonly number[]): Promise<Smb2Client> {
  const smb = await Smb2Client.connect({ address: info.address, timeoutMs: 10_000, ...(dialects ? { dialects } : {}) });
  try {
    await smb.login(credential);
  } catch (err) {
    await smb.close();
    throw err;
  }
  return smb;
}

/** Nothing the client returns or throws may carry a password. */
function assertNoSecret(t: ExecutionContext, f: Fixture, ...things: unknown[]): void {
  const text = things.map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : JSON.stringify(x))).join('\n');
  for (const p of f.passwords) t.false(text.includes(p), 'a password appears in output');
}

/** SAMR's users and flags equal pdbedit's; BUILTIN\Administrators equals net sam listmem and rpcclient; SIDs equal rpcclient's. */
async function assertGroundTruth(t: ExecutionContext, f: Fixture, sam: SamInventory, lsa: LsaInventory): Promise<void> {
  const { conf, tool, info } = f.samba;
  const rpc = (command: string) => tool('rpcclient', ['-U', `${f.admin.user}%${f.admin.password}`, info.address, '-c', command]);

  const localSid = /SID for domain \S+ is: (S-[\d-]+)/.exec(await tool('net', ['-s', conf, 'getlocalsid']))?.[1] ?? 'no SID from net getlocalsid';
  t.is(sam.accountDomain.sid, localSid, 'the SAMR account domain SID is net getlocalsid');
  t.is(lsa.accountDomain.sid, localSid, 'the LSA account domain SID is net getlocalsid');
  t.is(lsa.accountDomain.name, NETBIOS);

  const pdb = parsePdbedit(await tool('pdbedit', ['-s', conf, '-Lv']));
  t.true(pdb.length >= 7);
  t.deepEqual(sam.users.map((u) => u.name).sort(), pdb.map((u) => u.name).sort(), 'the same users as pdbedit -L');
  for (const p of pdb) {
    const u = sam.users.find((x) => x.name === p.name)!;
    t.is(u.rid, p.rid, `${p.name}: RID`);
    t.is(u.sid, `${localSid}-${p.rid}`);
    const d = u.details!;
    t.truthy(d, `${p.name}: details read`);
    t.is(d.fullName, p.fullName, `${p.name}: full name`);
    t.deepEqual(
      { disabled: d.flags.disabled, passwordNeverExpires: d.flags.passwordNeverExpires, passwordNotRequired: d.flags.passwordNotRequired, locked: d.flags.locked, normal: d.flags.normalAccount },
      { disabled: p.flags.includes('D'), passwordNeverExpires: p.flags.includes('X'), passwordNotRequired: p.flags.includes('N'), locked: p.flags.includes('L'), normal: p.flags.includes('U') },
      `${p.name}: flags [${p.flags}]`,
    );
    t.is(d.passwordLastSet?.getTime() ?? null, p.passwordLastSet, `${p.name}: password last set`);
    t.is(d.lastLogon?.getTime() ?? null, p.logonTime, `${p.name}: last logon`);
    t.is(d.badPasswordCount, p.badPasswordCount, `${p.name}: bad password count`);
    t.true(Number.isInteger(d.logonCount));
  }
  t.true(sam.users.find((u) => u.name === f.disabled.user)!.details!.flags.disabled, 'the [D] user is disabled');
  t.true(sam.users.find((u) => u.name === f.noExpiry.user)!.details!.flags.passwordNeverExpires, 'the [X] user never expires');
  t.true(sam.users.find((u) => u.name === f.locked.user)!.details!.flags.locked, 'the [L] user is locked');

  const admins = sam.aliases.find((a) => a.sid === 'S-1-5-32-544');
  t.truthy(admins, 'BUILTIN\\Administrators is there');
  const aliasSids = [...(await rpc('queryaliasmem builtin 0x220')).matchAll(/sid:\[(S-[\d-]+)\]/g)].map((m) => m[1]!);
  t.deepEqual([...admins!.members!].sort(), aliasSids.sort(), 'members equal rpcclient queryaliasmem builtin 0x220');
  const listmem = (await tool('net', ['-s', conf, 'sam', 'listmem', 'BUILTIN\\Administrators'])).split('\n').map((l) => l.trim()).filter((l) => l && !/ has \d+ members$/.test(l));
  // rpcclient prints an unmapped SID as "*unknown*\*unknown*"; we keep the SID itself.
  const lookedUp = (await rpc(`lookupsids ${aliasSids.join(' ')}`)).split('\n').filter(Boolean).map((l) => /^(S-[\d-]+) (.*) \(\d+\)$/.exec(l.trim())).filter(Boolean)
    .map((m) => ({ sid: m![1]!, name: m![2]! === '*unknown*\\*unknown*' ? m![1]! : m![2]! }));
  const ours = admins!.members!.map((sid) => lsa.translations.find((x) => x.sid === sid)!);
  t.deepEqual(ours.map((x) => x.display).sort(), listmem.sort(), 'names equal net sam listmem');
  t.deepEqual(ours.map((x) => ({ sid: x.sid, name: x.display })).sort((a, b) => a.sid.localeCompare(b.sid)), lookedUp.sort((a, b) => a.sid.localeCompare(b.sid)), 'names equal rpcclient lookupsids');
  t.true(ours.some((x) => x.name === f.admin.user && x.type === 'user'));
  const orphans = ours.filter((x) => x.name === null);
  t.is(orphans.length, 1, 'the deleted account stays a member, as its raw SID');
  t.regex(orphans[0]!.display, /^S-1-5-21-[\d-]+$/);
  t.log(`BUILTIN\\Administrators: ${ours.map((x) => x.display).join(', ')}; net sam listmem: ${listmem.join(', ')}`);

  for (const r of lsa.rights) {
    t.not(r.outcome, undefined, `${r.right} has an outcome`);
    if (r.outcome !== 'listed') t.regex(r.status, /^STATUS_/, `${r.right}: ${r.outcome} is named`);
  }
}

async function lookupNamesMatchesRpcclient(t: ExecutionContext, smb: Smb2Client, f: Fixture): Promise<void> {
  const { tool, info } = f.samba;
  const names = [`${NETBIOS}\\${f.admin.user}`, `${NETBIOS}\\${f.plain.user}`, 'BUILTIN\\Administrators', `${NETBIOS}\\no-such-account`];
  const rpc = await bindPipe(smb, 'lsarpc', LSARPC_SYNTAX);
  try {
    const policy = await lsarOpenPolicy2(rpc);
    const ours = await lsarLookupNames(rpc, policy, names);
    await lsarClose(rpc, policy);
    const truth = await tool('rpcclient', ['-U', `${f.admin.user}%${f.admin.password}`, info.address, '-c', `lookupnames ${names.slice(0, 3).map((n) => `'${n}'`).join(' ')}`]);
    for (const [i, n] of names.slice(0, 3).entries()) {
      const sid = new RegExp(`^${n.replace(/\\/g, '\\\\')} (S-[\\d-]+) `, 'm').exec(truth)?.[1] ?? null;
      t.truthy(sid);
      t.is(ours[i]!.sid, sid, `${n}: SID as rpcclient lookupnames`);
    }
    t.is(ours[3]!.sid, null, 'an unknown name keeps no SID');
  } finally {
    await rpc.close();
  }
}

/** Failed logons for `user` in Samba's authentication log (auth_audit). */
function failedLogons(logDir: string, user: string): string[] {
  const files = readdirSync(logDir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(logDir, e.name));
  const lines = files.flatMap((f) => readFileSync(f, 'utf8').split('\n'));
  return lines.filter((l) => /Auth: \[/.test(l) && l.includes(`[${user}]`) && /status \[NT_STATUS_(?!OK)/.test(l));
}


namespaceTest('Samba default: SMB 3.1.1, SAMR and LSARPC equal Samba\'s tools; wrong password, missing pipe, dead server', async (t) => {
  t.timeout(180_000);
  await withSamba(t, { tag: TAG, prefix: 'wcd', host: 1, dirName: 'default', debugLevel: '1 auth_audit:3' }, async (samba) => {
    const f = await fixture(samba, 'wcd');
    const smb = await session(samba.info, f.admin);
    try {
      t.is(smb.negotiated.dialectName, '3.1.1');
      t.false(smb.negotiated.serverRequiresSigning);
      t.like(smb.session, { signing: false, encryption: false });
      const sam = await enumerateSam(smb, { pageBytes: 60 });
      // Privileges (Samba keeps privileges, not logon rights): one granted to a user, one taken from everyone; the
      // holders LSA lists equal `net sam rights list`, and nobody holding one is said so, not given as an empty list.
      const net = (...args: string[]) => samba.tool('net', ['-s', samba.conf, 'sam', 'rights', ...args]);
      await net('grant', `${NETBIOS}\\${f.noExpiry.user}`, 'SeBackupPrivilege');
      for (const holder of (await net('list', 'SeSecurityPrivilege')).split('\n').map((l) => l.trim()).filter(Boolean)) await net('revoke', holder, 'SeSecurityPrivilege');
      const privileges = ['SeBackupPrivilege', 'SeSecurityPrivilege'];
      const lsa = await enumerateLsa(smb, { sids: sam.aliases.flatMap((a) => a.members ?? []), rights: [...LOGON_RIGHTS, ...privileges] });
      for (const privilege of privileges) {
        const holders = (await net('list', privilege)).split('\n').map((l) => l.trim()).filter(Boolean).sort();
        const ours = lsa.rights.find((r) => r.right === privilege)!;
        t.log(`${privilege}: net sam rights list: ${holders.join(', ') || '(none)'}; LSA: ${ours.outcome}`);
        if (holders.length === 0) t.is(ours.outcome, 'none-held');
        else t.deepEqual(ours.outcome === 'listed' ? ours.sids.map((sid) => lsa.translations.find((x) => x.sid === sid)?.display).sort() : ours, holders);
      }
      t.true(lsa.rights.some((r) => r.outcome === 'listed') && lsa.rights.some((r) => r.outcome === 'none-held'));
      t.log(`${sam.users.length} users, ${sam.aliases.length} aliases, ${sam.groups.length} groups; rights: ${lsa.rights.map((r) => `${r.right} ${r.outcome}${r.outcome === 'listed' ? '' : ` ${r.status}`}`).join(', ')}`);
      await assertGroundTruth(t, f, sam, lsa);
      await lookupNamesMatchesRpcclient(t, smb, f);
      assertNoSecret(t, f, sam, lsa);

      // DCE/RPC packet privacy (NTLM sealing) and integrity on top of the plain session give the same answers, and
      // a pipe split into small transceive and read sizes (STATUS_BUFFER_OVERFLOW continuations) too.
      const cred = f.admin;
      const sealed = await enumerateSam(smb, { bind: { auth: { credential: cred, level: AUTH_LEVEL.privacy } } });
      t.deepEqual(sealed.users, sam.users);
      const signed = await enumerateLsa(smb, { sids: sam.aliases.flatMap((a) => a.members ?? []), rights: [...LOGON_RIGHTS, ...privileges], bind: { auth: { credential: cred, level: AUTH_LEVEL.integrity } } });
      t.deepEqual(signed, lsa);
      const split = await enumerateSam(smb, { bind: { pipe: { transactBytes: 128, readBytes: 200 } } });
      t.deepEqual(split.users, sam.users);
      const written = await enumerateSam(smb, { bind: { transact: false, pipe: { readBytes: 100 } } });
      t.deepEqual(written.aliases, sam.aliases);

      const missing = await t.throwsAsync(smb.openPipe('nosuchpipe'), { instanceOf: Smb2PipeError });
      t.is(missing.status, 'unsupported');
      t.is(missing.reason, 'not-found');
      t.regex(missing.message, /nosuchpipe.*STATUS_OBJECT_NAME_NOT_FOUND/);
      t.log(missing.message);
    } finally {
      await smb.close();
    }

    // A wrong password: auth-failed, named, and exactly one failed authentication in Samba's log.
    const logDir = join(samba.info.dir, 'log');
    t.is(failedLogons(logDir, f.plain.user).length, 0);
    const wrong = await t.throwsAsync(session(samba.info, { ...f.plain, password: 'Not-The-Password-1' }), { instanceOf: Smb2LogonError });
    t.is(wrong.status, 'auth-failed');
    t.is(wrong.statusName, 'STATUS_LOGON_FAILURE');
    t.log(wrong.message);
    assertNoSecret(t, f, wrong);
    await new Promise((r) => setTimeout(r, 300));
    const failures = failedLogons(logDir, f.plain.user);
    t.is(failures.length, 1, `one failed logon in the log:\n${failures.join('\n')}`);

    // The right passwords of a disabled, a locked and a must-change account: refused, each named.
    for (const [who, status] of [[f.disabled, 'STATUS_ACCOUNT_DISABLED'], [f.locked, 'STATUS_ACCOUNT_LOCKED_OUT'], [f.mustChange, 'STATUS_PASSWORD_MUST_CHANGE']] as const) {
      const refused = await t.throwsAsync(session(samba.info, who), { instanceOf: Smb2LogonError });
      t.is(refused.status, 'auth-failed');
      t.log(refused.message);
      t.is(refused.statusName, status);
    }

    // SMB 2.1 and 3.0.2 (with its VALIDATE_NEGOTIATE_INFO) against the same server.
    for (const [dialects, name] of [[[DIALECT.SMB_2_0_2, DIALECT.SMB_2_1], '2.1'], [[DIALECT.SMB_3_0, DIALECT.SMB_3_0_2], '3.0.2']] as const) {
      const old = await session(samba.info, f.admin, dialects);
      try {
        t.is(old.negotiated.dialectName, name);
        const sam = await enumerateSam(old);
        t.is(sam.users.length, 7);
        t.is(old.negotiationValidated, name === '3.0.2');
      } finally {
        await old.close();
      }
    }

    // The server's process for this connection killed in the middle of a call: the call fails at once, clearly.
    const smbdPid = samba.ctx.resources.list.find((r) => r.kind === 'process' && r.name === 'smbd') as { pid: number } | undefined;
    t.truthy(smbdPid);
    const before = new Set(children(smbdPid!.pid));
    const victim = await session(samba.info, f.admin);
    try {
      const pipe = await victim.openPipe('samr');
      const ours = children(smbdPid!.pid).filter((p) => !before.has(p));
      t.is(ours.length, 1, 'one smbd child serves this connection');
      // A READ on an empty pipe waits in the server (STATUS_PENDING): the call is in flight when its server dies.
      const started = Date.now();
      const reading = pipe.read();
      await new Promise((r) => setTimeout(r, 300));
      process.kill(ours[0]!, 'SIGKILL');
      const dead = await t.throwsAsync(reading, { instanceOf: ProbeError });
      t.is(dead.status, 'protocol-error');
      t.regex(dead.message, /READ.*closed the connection/);
      t.true(Date.now() - started < 5000, 'no hang');
      t.log(dead.message);
      await t.throwsAsync(victim.openPipe('lsarpc'), { instanceOf: ProbeError, message: /closed the connection/ });
    } finally {
      await victim.close();
    }
  });
}, hasSamba);

function children(pid: number): number[] {
  return (spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean).map(Number);
}

namespaceTest('Samba with server signing = mandatory: every message after the logon is signed and verified', async (t) => {
  t.timeout(180_000);
  await withSamba(t, { tag: TAG, prefix: 'wcs', host: 2, dirName: 'signing', global: ['server signing = mandatory'] }, async (samba) => {
    const f = await fixture(samba, 'wcs');
    for (const dialects of [undefined, [DIALECT.SMB_3_0_2], [DIALECT.SMB_2_1]] as const) {
      const smb = await session(samba.info, f.admin, dialects);
      try {
        t.true(smb.negotiated.serverRequiresSigning);
        t.like(smb.session, { signing: true, encryption: false });
        const sam = await enumerateSam(smb);
        const lsa = await enumerateLsa(smb, { sids: sam.aliases.flatMap((a) => a.members ?? []) });
        if (!dialects) await assertGroundTruth(t, f, sam, lsa);
        const { sent, sentSigned, received, receivedSigned, sentEncrypted, receivedEncrypted } = smb.traffic;
        t.log(`${smb.negotiated.dialectName} ${smb.session!.signingAlgorithm}: ${sent} sent, ${sentSigned} signed; ${received} received, ${receivedSigned} verified`);
        t.true(sent > 20);
        t.is(sentSigned, sent, 'every request signed');
        t.is(receivedSigned, received, 'every response signed and verified');
        t.is(sentEncrypted + receivedEncrypted, 0);
      } finally {
        await smb.close();
      }
    }
  });
}, hasSamba);

namespaceTest('Samba with server smb encrypt = required: every message after the logon is encrypted both ways', async (t) => {
  t.timeout(180_000);
  await withSamba(t, { tag: TAG, prefix: 'wce', host: 3, dirName: 'encrypt', global: ['server smb encrypt = required'] }, async (samba) => {
    const f = await fixture(samba, 'wce');
    for (const dialects of [undefined, [DIALECT.SMB_3_0_2]] as const) {
      const smb = await session(samba.info, f.admin, dialects);
      try {
        t.like(smb.session, { encryption: true });
        const sam = await enumerateSam(smb);
        const lsa = await enumerateLsa(smb, { sids: sam.aliases.flatMap((a) => a.members ?? []) });
        if (!dialects) await assertGroundTruth(t, f, sam, lsa);
        const { sent, sentEncrypted, received, receivedEncrypted } = smb.traffic;
        t.log(`${smb.negotiated.dialectName} ${smb.session!.cipher}: ${sent} sent, ${sentEncrypted} encrypted; ${received} received, ${receivedEncrypted} encrypted`);
        t.true(sent > 20);
        t.is(sentEncrypted, sent, 'every request in a TRANSFORM_HEADER');
        t.is(receivedEncrypted, received, 'every response in a TRANSFORM_HEADER');
      } finally {
        await smb.close();
      }
    }
    // SMB 2.1 has no encryption: the server refuses the session, and the client says why.
    const old = await t.throwsAsync(session(samba.info, f.admin, [DIALECT.SMB_2_1]), { instanceOf: ProbeError });
    t.log(`2.1 against encrypt = required: ${old.status}: ${old.message}`);
    t.not(old.status, 'auth-failed');
  });
}, hasSamba);

// ---------------------------------------------------------------------------------------------------------------
// A man in the middle and peers that are not SMB2 servers

/** Listens on `address`:0 and relays to `target`; every server-to-client message passes through `mutate`. */
function relay(address: string, target: { host: string; port: number }, mutate: (message: Buffer) => Buffer): Promise<{ port: number; server: Server }> {
  const server = createServer((client: Socket) => {
    const upstream = netConnect(target);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const n = pending.readUInt32BE(0) & 0xffffff;
        if (pending.length < 4 + n) break;
        const out = mutate(Buffer.from(pending.subarray(4, 4 + n)));
        const head = Buffer.alloc(4);
        head.writeUInt32BE(out.length, 0);
        client.write(Buffer.concat([head, out]));
        pending = pending.subarray(4 + n);
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('close', end).on('error', end);
    client.on('close', end).on('error', end);
  });
  return new Promise((resolve) => server.listen(0, address, () => resolve({ port: (server.address() as { port: number }).port, server })));
}

/** A TREE_CONNECT response in clear (signed or not): the first message a signing session must check after the logon. */
const isTreeConnectResponse = (m: Buffer) => !isTransformed(m) && m.readUInt16LE(12) === COMMAND.TREE_CONNECT && (m.readUInt32LE(16) & FLAGS.SERVER_TO_REDIR) !== 0;

async function tampered(t: ExecutionContext, info: ServerInfo, credential: NtlmClientOptions, mutate: (m: Buffer) => Buffer, pattern: RegExp, dialects?: readonly number[]): Promise<void> {
  const { port, server } = await relay(`127.${TAG}.3.1`, { host: info.address, port: 445 }, mutate);
  try {
    const smb = await Smb2Client.connect({ address: `127.${TAG}.3.1`, port, serverName: info.address, timeoutMs: 10_000, ...(dialects ? { dialects } : {}) });
    try {
      await smb.login(credential);
      const err = await t.throwsAsync(smb.openPipe('samr'), { instanceOf: ProbeError });
      t.is(err.status, 'protocol-error');
      t.regex(err.message, pattern);
      t.log(err.message);
    } finally {
      await smb.close();
    }
  } finally {
    server.close();
  }
}

namespaceTest('a tampered, unsigned or undecryptable response is refused as a protocol error (a relay between the client and Samba)', async (t) => {
  t.timeout(180_000);
  await withSamba(t, { tag: TAG, prefix: 'wcm', host: 4, dirName: 'mitm', global: ['server signing = mandatory'] }, async (signing) => {
    const admin = { domain: NETBIOS, user: signing.info.credentials.admin!.username, password: signing.info.credentials.admin!.password! };
    // One bit of MaximalAccess flipped: the signature no longer matches.
    const flip = (m: Buffer) => {
      if (isTreeConnectResponse(m)) m[m.length - 1]! ^= 0x01;
      return m;
    };
    await tampered(t, signing.info, admin, flip, /signature of the SMB2 TREE_CONNECT response does not verify/);
    await tampered(t, signing.info, admin, flip, /signature of the SMB2 TREE_CONNECT response does not verify/, [DIALECT.SMB_2_1]);
    // The signature stripped: a signed session refuses a response without one.
    const strip = (m: Buffer) => {
      if (isTreeConnectResponse(m)) {
        m.writeUInt32LE(m.readUInt32LE(16) & ~FLAGS.SIGNED, 16);
        m.fill(0, 48, 64);
      }
      return m;
    };
    await tampered(t, signing.info, admin, strip, /TREE_CONNECT response is not signed/, [DIALECT.SMB_3_0_2]);
  });
  await withSamba(t, { tag: TAG, prefix: 'wcn', host: 5, dirName: 'mitm-encrypt', global: ['server smb encrypt = required'] }, async (sealed) => {
    const admin = { domain: NETBIOS, user: sealed.info.credentials.admin!.username, password: sealed.info.credentials.admin!.password! };
    // A bit of ciphertext flipped: the AEAD tag fails and the connection ends.
    const flip = (m: Buffer) => {
      if (isTransformed(m)) m[m.length - 1]! ^= 0x01;
      return m;
    };
    await tampered(t, sealed.info, admin, flip, /TREE_CONNECT.*decryption failed/);
  });
}, hasSamba);

/** A peer on 127.136.9.x:port that does `behave` with every connection. */
async function peer(host: number, behave: (s: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer(behave);
  return new Promise((resolve) => server.listen(0, `127.${TAG}.9.${host}`, () => resolve({ port: (server.address() as { port: number }).port, server })));
}

test('peers that are not SMB2 servers: SMB1 only, closed at once, silent, oversized, aborted, refused', async (t) => {
  // [MS-SMB] 2.2.4.52.2: an SMB1 NEGOTIATE response (0xFF 'SMB', command 0x72) choosing NT LM 0.12: the 32-byte
  // header, WordCount 17, 34 bytes of words, ByteCount 8 and an 8-byte challenge
  const smb1 = Buffer.alloc(32 + 1 + 34 + 2 + 8);
  Buffer.from([0xff, 0x53, 0x4d, 0x42, 0x72]).copy(smb1, 0);
  smb1[32] = 17;
  smb1.writeUInt16LE(8, 32 + 1 + 34);
  const frame = (m: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, m.length]), m]);
  const cases: Array<[string, (s: Socket) => void, ProbeError['status'], RegExp]> = [
    ['SMB1 only', (s) => s.once('data', () => s.end(frame(smb1))), 'unsupported', /SMB1/],
    ['closes on an SMB2 NEGOTIATE', (s) => s.once('data', () => s.end()), 'unsupported', /SMB1 only, or none of the offered dialects/],
    ['resets on an SMB2 NEGOTIATE', (s) => s.once('data', () => s.resetAndDestroy()), 'unsupported', /SMB1 only, or none of the offered dialects/],
    ['never answers', () => undefined, 'timeout', /no answer to SMB2 NEGOTIATE within 500 ms/],
    ['announces a 16 MiB message', (s) => s.once('data', () => s.write(Buffer.from([0, 0xff, 0xff, 0xff]))), 'protocol-error', /length/],
  ];
  for (const [i, [what, behave, status, pattern]] of cases.entries()) {
    const { port, server } = await peer(i + 1, behave);
    server.on('connection', (s) => s.on('error', () => undefined));
    try {
      const started = Date.now();
      const err = await t.throwsAsync(Smb2Client.connect({ address: `127.${TAG}.9.${i + 1}`, port, timeoutMs: 500 }), { instanceOf: ProbeError }, what);
      t.is(err.status, status, `${what}: ${err.message}`);
      t.regex(err.message, pattern, what);
      t.true(Date.now() - started < 3000, `${what}: bounded`);
    } finally {
      server.close();
    }
  }
  // An abort ends a wait at once, whatever the time limit.
  {
    const { port, server } = await peer(8, () => undefined);
    try {
      const started = Date.now();
      const aborted = await t.throwsAsync(Smb2Client.connect({ address: `127.${TAG}.9.8`, port, timeoutMs: 60_000, signal: AbortSignal.timeout(200) }), { instanceOf: ProbeError });
      t.is(aborted.status, 'timeout');
      t.regex(aborted.message, /aborted/);
      t.true(Date.now() - started < 3000);
    } finally {
      server.close();
    }
  }
  const { port, server } = await peer(9, () => undefined);
  server.close();
  await new Promise((r) => server.once('close', r));
  const refused = await t.throwsAsync(Smb2Client.connect({ address: `127.${TAG}.9.9`, port, timeoutMs: 500 }), { instanceOf: ProbeError });
  t.is(refused.status, 'refused');
});

// ---------------------------------------------------------------------------------------------------------------
// Samba AD DC

const CHILD = fileURLToPath(new URL('./helpers/smb-enum-child.js', import.meta.url));

interface ChildResult {
  error?: { name: string; status: string | null; message: string };
  negotiated: { dialectName: string; serverRequiresSigning: boolean };
  session: { signing: boolean; encryption: boolean };
  traffic: { sent: number; sentSigned: number; received: number; receivedSigned: number };
  sam: SamInventory;
  lsa: LsaInventory;
  administrators: AliasMember[];
}

namespaceTest('Samba AD DC (signing required): domain users and flags equal ldapsearch; BUILTIN\\Administrators through nested groups, with paths', async (t) => {
  t.timeout(300_000);
  await withLabServer(t, { tag: TAG, prefix: 'wcx', budgetMs: 240_000 }, (ctx) => addcServer.start(ctx), async ({ info }) => {
    const ns = info.netns!;
    const admin = info.credentials.administrator!;
    const credential = { domain: info.extra.domain!, user: 'Administrator', password: admin.password! };
    const child = spawnSync('ip', ['netns', 'exec', ns, process.execPath, CHILD], { input: JSON.stringify({ address: info.address, credential }), encoding: 'utf8', timeout: 120_000 });
    t.is(child.status, 0, child.stderr);
    const r = JSON.parse(child.stdout) as ChildResult;
    t.falsy(r.error, r.error?.message);
    t.false(child.stdout.includes(admin.password!), 'no password in the output');
    t.is(r.negotiated.dialectName, '3.1.1');
    t.true(r.negotiated.serverRequiresSigning);
    t.like(r.session, { signing: true, encryption: false });
    t.is(r.traffic.sentSigned, r.traffic.sent);
    t.is(r.traffic.receivedSigned, r.traffic.received);

    const ldap = async (filter: string, ...attrs: string[]) => parseLdif(spawnSync('ip', ['netns', 'exec', ns, 'ldapsearch', '-LLL', '-o', 'ldif-wrap=no', '-x', '-H', `ldaps://${info.address}`,
      '-D', `Administrator@${info.extra.realm}`, '-w', admin.password!, '-b', info.extra.base!, '-E', 'pr=500/noprompt', filter, ...attrs], { encoding: 'utf8', env: { ...process.env, LDAPTLS_REQCERT: 'never' } }).stdout);
    const people = await ldap('(&(objectCategory=person)(objectClass=user))', 'sAMAccountName', 'userAccountControl', 'objectSid');
    const accounts = r.sam.users.filter((u) => !u.details!.flags.trustAccount);
    t.deepEqual(accounts.map((u) => u.name).sort(), people.map((p) => p.attributes.samaccountname![0]!).sort(), 'SAMR users (trust accounts aside) equal ldapsearch\'s people');
    for (const p of people) {
      const name = p.attributes.samaccountname![0]!;
      const uac = Number(p.attributes.useraccountcontrol![0]);
      const u = accounts.find((a) => a.name === name)!;
      t.like(u.details!.flags, { disabled: (uac & 0x2) !== 0, passwordNeverExpires: (uac & 0x10000) !== 0, passwordNotRequired: (uac & 0x20) !== 0 }, `${name}: flags from userAccountControl 0x${uac.toString(16)}`);
    }
    t.is(r.lsa.primaryDomain.name, info.extra.domain!);
    t.is(r.lsa.accountDomain.sid, r.sam.accountDomain.sid);

    // Everyone in BUILTIN\Administrators by the DC's own transitive membership (LDAP_MATCHING_RULE_IN_CHAIN).
    const chain = await ldap(`(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=CN=Administrators,CN=Builtin,${info.extra.base}))`, 'sAMAccountName');
    const nameOf = (sid: string) => r.lsa.translations.find((x) => x.sid === sid)?.display ?? sid;
    const users = r.administrators.filter((m) => !m.isGroup).map((m) => nameOf(m.sid).replace(/^.*\\/, ''));
    t.deepEqual(users.sort(), chain.map((e) => e.attributes.samaccountname![0]!).sort(), 'privileged users equal the DC\'s transitive Administrators');
    const tier0 = r.administrators.find((m) => nameOf(m.sid).endsWith('\\tier0admin'))!;
    t.deepEqual(tier0.path.map(nameOf), ['BUILTIN\\Administrators', `${info.extra.domain}\\Domain Admins`, `${info.extra.domain}\\Lab Tier0`], 'tier0admin through Domain Admins and Lab Tier0');
    t.log(r.administrators.map((m) => `${nameOf(m.sid)} via ${m.path.map(nameOf).join(' > ')}`).join('\n'));
  });
}, () => (spawnSync('sh', ['-c', 'command -v samba && command -v samba-tool && command -v ldapsearch']).status === 0 ? { ok: true } : { ok: false, why: 'the Samba AD DC packages are not installed' }));
