/**
 * The SMB2/3 codecs against a real server: this test's own Samba smbd on 127.134.0.1, inside its own network
 * namespace (so nothing leaves it and no lab server is touched), started and stopped by PID. No authentication:
 * NEGOTIATE with every dialect and 3.1.1 context, with narrower offers, the first SESSION_SETUP leg (the NTLM
 * challenge) and a TREE_CONNECT without a session, whose failure must come back as a named status. The expected
 * values come from the server's configuration and Samba's documented choices, not from the codec.
 */
import type { ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNamespace } from '../fixtures/estate/netns.js';
import { negotiateMessage, parseChallenge, spnegoInit } from '../probes/ntlm/codec.js';
import { asciiName } from '../probes/smb/probe.js';
import {
  CAPABILITIES, CIPHER, DIALECT, ipcPath, negotiateRequest, parseNegotiateResponse, parseSessionSetupResponse, parseTreeConnectResponse, PreauthHash,
  SECURITY_MODE, sessionSetupRequest, SIGNING_ALGORITHM, Smb2StatusError, treeConnectRequest,
} from '../enum/smb2/index.js';
import { namespaceTest } from './helpers/gate.js';

const ADDRESS = '127.134.0.1';
const NETBIOS = 'S2SMB';
const helper = fileURLToPath(new URL('./helpers/smb2-exchange.js', import.meta.url));

function smbConf(dir: string): string {
  const d = (name: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    return join(dir, name);
  };
  return `[global]
  netbios name = ${NETBIOS}
  workgroup = S2GROUP
  server role = standalone server
  interfaces = ${ADDRESS}/16
  bind interfaces only = yes
  disable netbios = yes
  smb ports = 445
  private dir = ${d('private')}
  lock directory = ${d('lock')}
  state directory = ${d('state')}
  cache directory = ${d('cache')}
  pid directory = ${d('run')}
  ncalrpc dir = ${d('run/ncalrpc')}
  binddns dir = ${d('bind-dns')}
  log file = ${d('log')}/log.%m
  passdb backend = tdbsam:${join(dir, 'private', 'passdb.tdb')}
  map to guest = never
  load printers = no
  disable spoolss = yes
  rpc start on demand helpers = no
`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The children of a process (smbd forks helpers and one child per connection). */
function childrenOf(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '';
  return out.split('\n').filter(Boolean).map(Number);
}

async function stop(pids: readonly number[]): Promise<void> {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Processes whose command line names this test's smb.conf: only ours can. */
function runningWith(conf: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').includes(conf)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Sends each conversation's requests on its own connection from inside the namespace; returns the responses. */
function exchange(prefix: readonly string[], conversations: Buffer[][]): Buffer[][] {
  const r = spawnSync(prefix[0]!, [...prefix.slice(1), process.execPath, helper, ADDRESS, '445'], {
    input: JSON.stringify(conversations.map((c) => c.map((m) => m.toString('hex')))),
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`smb2-exchange failed (${r.status ?? r.signal}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as string[][]).map((c) => c.map((h) => Buffer.from(h, 'hex')));
}

async function withSamba(t: ExecutionContext, body: (prefix: readonly string[]) => void): Promise<void> {
  const ns = createNamespace(`s2-${process.pid % 100000}`);
  const dir = mkdtempSync(join(tmpdir(), 'smb2-samba-'));
  const conf = join(dir, 'smb.conf');
  let smbd: number | undefined;
  try {
    spawnSync(ns.prefix[0]!, [...ns.prefix.slice(1), 'ip', 'addr', 'add', `${ADDRESS}/16`, 'dev', 'lo'], { stdio: 'ignore' });
    writeFileSync(conf, smbConf(dir));
    const log = openSync(join(dir, 'smbd.out'), 'a');
    // `ip netns exec` execs smbd in place, so this PID is smbd's. Its own process group (detached), so that nothing
    // smbd signals to its group on the way out reaches this test.
    const child = spawn(ns.prefix[0]!, [...ns.prefix.slice(1), 'smbd', '-s', conf, '--foreground', '--no-process-group', '--debug-stdout', '-d1'], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, _NO_WINBINDD: '1' },
    });
    closeSync(log);
    smbd = child.pid;
    body(ns.prefix);
  } catch (err) {
    const out = join(dir, 'smbd.out');
    t.log(existsSync(out) ? readFileSync(out, 'utf8').split('\n').slice(-15).join('\n') : '(no smbd output)');
    throw err;
  } finally {
    if (smbd !== undefined) {
      const helpers = childrenOf(smbd);
      await stop([smbd]);
      await stop(helpers);
    }
    const left = runningWith(conf);
    await stop(left);
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
    if (left.length) t.fail(`smbd processes outlived their parent: ${left.join(', ')}`);
  }
}

const hasSmbd = spawnSync('sh', ['-c', 'command -v smbd']).status === 0;
const title = 'Samba 4 negotiates 3.1.1 with our NEGOTIATE and contexts; the NTLM leg and a failed TREE_CONNECT parse';

if (!hasSmbd) namespaceTest(`${title} (skipped: smbd is not installed)`, (t) => {
  t.pass();
});
else namespaceTest(title, async (t) => {
  const everything = negotiateRequest({ messageId: 0n }, { netName: ADDRESS });
  const setup = sessionSetupRequest({ messageId: 1n }, { securityBuffer: spnegoInit(negotiateMessage()) });
  const noSession = treeConnectRequest({ messageId: 2n }, ipcPath(ADDRESS));
  const legacy = negotiateRequest({ messageId: 0n }, { dialects: [DIALECT.SMB_2_0_2, DIALECT.SMB_2_1] });
  const smb30 = negotiateRequest({ messageId: 0n }, { dialects: [DIALECT.SMB_3_0, DIALECT.SMB_3_0_2] });
  const narrow = negotiateRequest({ messageId: 0n }, { dialects: [DIALECT.SMB_3_1_1], ciphers: [CIPHER.AES_256_CCM], signingAlgorithms: [SIGNING_ALGORITHM.HMAC_SHA256] });
  const noCipher = negotiateRequest({ messageId: 0n }, { dialects: [DIALECT.SMB_3_1_1], ciphers: [], signingAlgorithms: [] });

  await withSamba(t, (prefix) => {
    const answers = exchange(prefix, [[everything, setup, noSession], [legacy], [smb30], [narrow], [noCipher]]);
    const [negotiated, challenged, refused] = answers[0]!;
    const [old, three, chosen, plain] = answers.slice(1).map((c) => c[0]);

    // Every dialect offered: Samba's default "server max protocol" is SMB3_11; it takes the first cipher and signing
    // algorithm of the client's list that it supports (AES-128-GCM, AES-128-GMAC).
    const n = parseNegotiateResponse(negotiated!);
    t.is(n.dialect, DIALECT.SMB_3_1_1);
    t.truthy(n.securityMode & SECURITY_MODE.SIGNING_ENABLED);
    t.is(n.cipher, CIPHER.AES_128_GCM);
    t.is(n.signingAlgorithm, SIGNING_ALGORITHM.AES_GMAC);
    t.is(n.preauth?.hashAlgorithm, 1);
    t.is(n.preauth?.salt.length, 32);
    t.is(asciiName(n.serverGuid), NETBIOS.toLowerCase(), 'Samba derives its GUID from the NetBIOS name');
    t.true(n.maxReadSize >= 65536 && n.maxWriteSize >= 65536 && n.maxTransactSize >= 65536);
    t.true(n.securityBuffer.length > 0, 'a negTokenInit');
    t.log(`dialect 0x${n.dialect.toString(16)}, contexts ${n.contexts.map((c) => c.type).join(',')}, capabilities 0x${n.capabilities.toString(16)}, max read ${n.maxReadSize}`);

    // The first SESSION_SETUP leg: more processing, a session id, the NTLM challenge naming the server.
    const s = parseSessionSetupResponse(challenged!);
    t.true(s.moreProcessing);
    t.not(s.header.sessionId, 0n);
    t.is(parseChallenge(s.securityBuffer).nbComputerName, NETBIOS);
    const chain = new PreauthHash().update(everything).update(negotiated!).fork();
    t.true(chain.updateSessionSetup(setup) && chain.updateSessionSetup(challenged!));
    t.is(chain.value.length, 64);

    // TREE_CONNECT without a session is refused with a status from the table, not a bare number.
    const err = t.throws(() => parseTreeConnectResponse(refused!), { instanceOf: Smb2StatusError });
    t.log(err.message);
    t.regex(err.statusName, /^STATUS_[A-Z_]+$/);

    t.like(parseNegotiateResponse(old!), { dialect: DIALECT.SMB_2_1, cipher: null, preauth: null });
    const n30 = parseNegotiateResponse(three!);
    t.is(n30.dialect, DIALECT.SMB_3_0_2);
    t.truthy(n30.capabilities & CAPABILITIES.ENCRYPTION, 'a 3.0.x server that can encrypt says so in its capabilities');
    t.like(parseNegotiateResponse(chosen!), { dialect: DIALECT.SMB_3_1_1, cipher: CIPHER.AES_256_CCM, signingAlgorithm: SIGNING_ALGORITHM.HMAC_SHA256 });
    t.like(parseNegotiateResponse(plain!), { dialect: DIALECT.SMB_3_1_1, cipher: null, signingAlgorithm: null }, 'nothing offered, nothing chosen');
  });
});
