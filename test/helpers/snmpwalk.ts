/**
 * Ground truth from net-snmp's own command-line tools, run by the tests: `snmpwalk`/`snmpget` with no MIB files
 * (MIBS=''), numeric OIDs (-On) and every octet string in hex (-Ox), parsed into values.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

export type ToolValue =
  | { readonly type: 'octets'; readonly value: Buffer }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'oid' | 'ip' | 'other'; readonly value: string };

/** `-v2c -c COMMUNITY`, or `-v3 -l authPriv -u USER -a SHA-256 -A ... -x AES -X ...`: the tool's own options. */
export type ToolAuth = readonly string[];

function parse(out: string): Map<string, ToolValue> {
  const lines: string[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('.')) lines.push(line);
    else if (line.trim() && lines.length) lines[lines.length - 1] += ` ${line.trim()}`; // a long hex string wraps
  }
  const values = new Map<string, ToolValue>();
  for (const line of lines) {
    const m = /^\.(\S+) = (?:([\w-]+): )?(.*)$/.exec(line);
    if (!m) continue;
    const [, oid, type, raw] = m as unknown as [string, string, string | undefined, string];
    if (type === undefined && raw === '""') values.set(oid, { type: 'octets', value: Buffer.alloc(0) });
    else if (type === 'Hex-STRING') values.set(oid, { type: 'octets', value: Buffer.from(raw.replace(/\s+/g, ''), 'hex') });
    else if (type === 'INTEGER' || type === 'Gauge32' || type === 'Counter32' || type === 'Counter64') values.set(oid, { type: 'number', value: Number(raw) });
    else if (type === 'Timeticks') values.set(oid, { type: 'number', value: Number(/^\((\d+)\)/.exec(raw)?.[1]) });
    else if (type === 'OID') values.set(oid, { type: 'oid', value: raw.replace(/^\./, '') });
    else if (type === 'IpAddress') values.set(oid, { type: 'ip', value: raw });
    else if (!/No Such|No more variables/.test(raw)) values.set(oid, { type: 'other', value: raw });
  }
  return values;
}

const argv = (auth: ToolAuth, target: string, oids: readonly string[]) => [...auth, '-On', '-Ox', '-t', '2', '-r', '1', target, ...oids];
const options = { env: { ...process.env, MIBS: '' }, encoding: 'utf8' } as const;

function run(tool: string, auth: ToolAuth, target: string, oids: readonly string[]): Map<string, ToolValue> {
  return parse(execFileSync(tool, argv(auth, target, oids), options));
}

/** Every varbind under `oid`, in the agent's order. */
export function snmpwalk(auth: ToolAuth, target: string, oid: string): Map<string, ToolValue> {
  return run('snmpwalk', auth, target, [oid]);
}

/** snmpwalk without blocking the event loop: for an agent that runs in the test's own process. */
export async function snmpwalkAsync(auth: ToolAuth, target: string, oid: string): Promise<Map<string, ToolValue>> {
  return parse((await promisify(execFile)('snmpwalk', argv(auth, target, [oid]), options)).stdout);
}

export function snmpget(auth: ToolAuth, target: string, oids: readonly string[]): Map<string, ToolValue> {
  return run('snmpget', auth, target, oids);
}

/** A walked column as index -> value: the arcs after the column's OID. */
export function column(walk: ReadonlyMap<string, ToolValue>, columnOid: string): Map<string, ToolValue> {
  const out = new Map<string, ToolValue>();
  for (const [oid, v] of walk) if (oid.startsWith(`${columnOid}.`)) out.set(oid.slice(columnOid.length + 1), v);
  return out;
}

export const asText = (v: ToolValue | undefined): string | undefined => (v?.type === 'octets' ? v.value.toString('utf8') : undefined);
export const asNumber = (v: ToolValue | undefined): number | undefined => (v?.type === 'number' ? v.value : undefined);
