/**
 * `npm run fuzz`: every codec against random inputs and mutations of valid messages (fixtures/protocol-samples.ts),
 * at least 100,000 inputs each. A codec may return or throw ProbeError; any other exception is a crash, and an
 * input that takes over 100 ms is a hang. Deterministic for a seed:  npm run fuzz -- [--inputs N] [--seed S]
 */
import { parseArgs } from 'node:util';
import { type FuzzTarget, runCampaign } from './harness.js';
import { DB_SAMPLES, SAMPLES } from '../fixtures/protocol-samples.js';
import { messageLength as mongoLength, parseOpMsgReply } from '../probes/mongodb/codec.js';
import { parsePreloginResponse, tdsLength } from '../probes/mssql/codec.js';
import { parseTnsReply, tnsLength } from '../probes/oracle/codec.js';
import { ProbeError } from '../probes/core/outcome.js';
import { printable } from '../probes/core/probe.js';
import { pageTitle, parseResponse as parseHttp } from '../probes/http/probe.js';
import { firstPacket, parseGreeting } from '../probes/mysql/codec.js';
import { parseChallenge } from '../probes/ntlm/codec.js';
import { messageLength, parseBackendReply } from '../probes/postgres/codec.js';
import { parseConnectionConfirm, tpktLength } from '../probes/rdp/codec.js';
import { framedLength, parseNegotiate, parseResponse, sessionSetupBlob } from '../probes/smb/codec.js';
import { asciiName } from '../probes/smb/probe.js';
import { parseIdentification, parseKexInit } from '../probes/ssh/codec.js';
import { parseRules } from '../profiles/rules.js';
import { parseAuthorizedKeys } from '../enum/ssh/keys.js';
import { parseGroup, parseLastlog, parsePasswd, parseShadow } from '../enum/ssh/parse-accounts.js';
import { parseCpuinfo, parseIp, parseOsRelease, parsePackages, parsePairs, parseServices, parseSockets } from '../enum/ssh/parse-system.js';
import { parseSudoers } from '../enum/ssh/sudoers.js';
import { grantsFor } from '../enum/ssh/sudoers-match.js';
import { InputError } from '../scanner/errors.js';
import { dnKey, fileTimeToIso, intervalSeconds, rdnValue, sidToString } from '../enum/ldap/codecs.js';
import { completeRanges } from '../enum/ldap/search.js';
import { NTLM_FUZZ_TARGETS } from './ntlm.js';
import { DCERPC_FUZZ_TARGETS } from './dcerpc.js';
import { SMB2_FUZZ_TARGETS } from './smb2.js';
import { MSRPC_FUZZ_TARGETS } from './msrpc.js';
import { SAMR_LSA_FUZZ_TARGETS } from './samr-lsa.js';
import { renderTable } from '../app/formats.js';


const TARGETS: FuzzTarget[] = [
  { name: 'ssh identification', seeds: [Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n')], run: (b) => parseIdentification(printable(b, 300)) },
  { name: 'ssh kexinit', seeds: [SAMPLES.sshKexInit], run: (b) => parseKexInit(b) },
  { name: 'mysql greeting', seeds: [SAMPLES.mysqlHandshake, SAMPLES.mysqlHostError], run: (b) => { const p = firstPacket(b); return p && parseGreeting(p); } },
  { name: 'postgresql reply', seeds: [SAMPLES.pgAuthSasl, SAMPLES.pgError], run: (b) => { const n = messageLength(b); return n && parseBackendReply(b.subarray(0, n)); } },
  { name: 'rdp confirm', seeds: [SAMPLES.rdpConfirm, SAMPLES.rdpFailure], run: (b) => { const n = tpktLength(b); return n && parseConnectionConfirm(b.subarray(0, n)); } },
  { name: 'ntlm challenge', seeds: [SAMPLES.ntlmChallenge], run: (b) => parseChallenge(b) },
  {
    name: 'smb responses', seeds: [SAMPLES.smbNegotiateResponse, SAMPLES.smbSessionSetupResponse],
    run: (b) => {
      const n = framedLength(b);
      if (!n) return null;
      const r = parseResponse(b.subarray(4, n));
      if (r.command === 0) return asciiName(Buffer.from(parseNegotiate(r).serverGuid, 'hex'));
      return parseChallenge(sessionSetupBlob(r));
    },
  },
  { name: 'mssql prelogin', seeds: [DB_SAMPLES.mssqlPreloginResponse], run: (b) => { const n = tdsLength(b); return n && parsePreloginResponse(b.subarray(0, n)); } },
  { name: 'mongodb op_msg/bson', seeds: [DB_SAMPLES.mongoHelloReply], run: (b) => { const n = mongoLength(b); return n && parseOpMsgReply(b.subarray(0, n)); } },
  { name: 'oracle tns', seeds: [DB_SAMPLES.tnsRefuse], run: (b) => { const n = tnsLength(b); return n && parseTnsReply(b.subarray(0, n)); } },
  { name: 'http response', seeds: [SAMPLES.httpResponse], run: (b) => pageTitle(parseHttp(b).body) },
  {
    name: 'rule files', seeds: [Buffer.from('banner ssh m|^SSH-([\\d.]+)-OpenSSH_(\\S+)| product=OpenSSH version=$2 confidence=95\nhttp.server http m#^nginx/([\\d.]+)# product="nginx" version=$1')],
    run: (b) => parseRules(b.toString('latin1'), 'fuzz.rules'),
  },
  // What a hostile host prints to the SSH enumeration's commands
  {
    name: 'authorized_keys',
    seeds: [Buffer.from('from="10.0.0.0/8",command="echo \\"a,b\\"" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKn4x1Z3a5Xq0bTtqJ1cW7nCwMZ4hO8Jk9Wm3y5oVvYs c\n')],
    run: (b) => parseAuthorizedKeys(b.toString('utf8')),
  },
  {
    name: 'sudoers',
    seeds: [Buffer.from('User_Alias A = x, %g, !y : B = A\nHost_Alias H = h*, 192.0.2.0/24, !fd00::/64\nA H=(ALL) ALL : !H = NOPASSWD: /bin/ls\n%sudo ALL=ALL\\\n ,z\n@includedir /etc/sudoers.d\n')],
    run: (b) => grantsFor({ name: 'x', uid: 1, groups: ['g'], gids: [1] }, parseSudoers(b.toString('utf8'), 'fuzz'), { hostname: 'h1', fqdn: 'h1.example', addresses: ['192.0.2.2/24', 'fd00::2/64'] }),
  },
  {
    name: 'host command output',
    seeds: [Buffer.from('root:x:0:0:root:/root:/bin/bash\nsudo:x:27:bob\nbob:!$y$:19000:0:99999:7::19500:\nUsername Port From Latest\nbob pts/0 h Sun Nov 22 19:36:41 +0000 2026\n')],
    run: (b) => {
      const t = b.toString('utf8');
      return [parsePasswd(t), parseGroup(t), parseShadow(t), parseLastlog(t), parseOsRelease(t), parseCpuinfo(t), parseIp(t, t), parsePackages(t), parsePairs(t), parseServices(t), parseSockets(t)];
    },
  },
  // What a hostile directory returns as values
  {
    name: 'ldap values',
    seeds: [Buffer.from([1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 2, 0, 0]), Buffer.from('CN=Jos\\c3\\a9\\, Jr,OU=x+CN=y,DC=lab;133500000000000000;-36288000000000')],
    run: (b) => {
      const t = b.toString('utf8');
      let sid: string | null = null;
      try {
        sid = sidToString(b);
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
      }
      const [dn = '', time, interval] = t.split(';');
      return [sid, rdnValue(dn), dnKey(dn), fileTimeToIso(time), intervalSeconds(interval)];
    },
  },
  {
    name: 'ldap ranged values',
    seeds: [Buffer.from('member;range=0-1\nmember;range=2-*')],
    run: (b) => {
      const keys = b.toString('latin1').split('\n').slice(0, 8);
      const row = (i: number) => ({ dn: 'CN=g', attrs: new Map([[keys[i] ?? 'member;range=0-*', ['x']]]), binary: new Map() });
      let i = 0;
      return completeRanges(row(i), async () => (++i < 50 ? row(i) : undefined)).catch((err: unknown) => {
        if (!(err instanceof ProbeError)) throw err;
      });
    },
  },
  // The Windows stack: NTLM and SPNEGO, the SMB2/3 messages, DCE/RPC PDUs and NDR
  ...NTLM_FUZZ_TARGETS, ...SMB2_FUZZ_TARGETS, ...DCERPC_FUZZ_TARGETS, ...MSRPC_FUZZ_TARGETS, ...SAMR_LSA_FUZZ_TARGETS,
];

function main(): void {
  const { values } = parseArgs({ options: { inputs: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } } });
  const inputs = Number(values.inputs);
  const rows: string[][] = [];
  let failures = 0;
  for (const target of TARGETS) {
    // The probes' own formats mix byte orders: their lengths are written both ways unless the target says otherwise.
    const r = runCampaign({ ...target, mutation: target.mutation ?? { order: 'mixed' } }, inputs, Number(values.seed));
    for (const crash of r.crashes) process.stderr.write(`${target.name}: crash on ${crash}\n`);
    failures += r.crashCount + r.hangs;
    const n = (x: number) => x.toLocaleString('en-US');
    rows.push([target.name, n(r.inputs), n(r.accepted), String(r.crashCount), String(r.hangs), r.worstMs.toFixed(2), r.seconds.toFixed(1)]);
  }
  process.stdout.write(renderTable(['CODEC', 'INPUTS', 'ACCEPTED', 'CRASHES', 'HANGS', 'WORST_MS', 'SECONDS'], rows));
  process.stdout.write(failures ? `fuzz: ${failures} failures\n` : 'fuzz: no crash and no hang\n');
  process.exitCode = failures ? 1 : 0;
}

main();
