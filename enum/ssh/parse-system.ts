/** Parsers for what Linux and Unix hosts print about their OS, hardware, software, services and sockets. */

/** os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1').replace(/\\(["$`\\])/g, '$1');
  }
  return out;
}

export function parseUname(text: string): { kernel?: string; hostname?: string; release?: string; arch?: string; fqdn?: string; domain?: string } {
  const [kernel, hostname, release, arch, fqdn] = text.split('\n').map((l) => l.trim());
  const full = fqdn && fqdn.includes('.') ? fqdn : undefined;
  return { kernel, hostname, release, arch, fqdn: full, domain: full ? full.slice(full.indexOf('.') + 1) : undefined };
}

export function parseCpuinfo(text: string): { model?: string; count: number; sockets?: number } {
  let count = 0;
  let model: string | undefined;
  const sockets = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+?)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'processor') count++;
    if ((m[1] === 'model name' || m[1] === 'Model' || m[1] === 'cpu model') && !model) model = m[2];
    if (m[1] === 'physical id') sockets.add(m[2]!);
  }
  return { model, count, sockets: sockets.size || undefined };
}

export function parseMeminfo(text: string): { totalBytes?: number; swapBytes?: number } {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  return { totalBytes: kb('MemTotal'), swapBytes: kb('SwapTotal') };
}

/** `lsblk -P` lines: KEY="value" pairs. */
export function parsePairs(text: string): Array<Record<string, string>> {
  return text.split('\n').filter((l) => l.trim()).map((line) => {
    const row: Record<string, string> = {};
    for (const m of line.matchAll(/([A-Z:_-]+)="((?:[^"\\]|\\.)*)"/g)) row[m[1]!.toLowerCase()] = m[2]!.replace(/\\x([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))).trim();
    return row;
  });
}

/** `key=value` lines (DMI). Empty values are dropped. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && line.slice(i + 1).trim()) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export interface NetworkInterface {
  readonly name: string;
  readonly mac?: string;
  readonly state?: string;
  /** The interface flags (`UP`, `LOOPBACK`, `BROADCAST`, ...). */
  readonly flags?: readonly string[];
  readonly addresses: string[];
}

/** `ip -o link show` and `ip -o addr show`. */
export function parseIp(linkText: string, addrText: string): NetworkInterface[] {
  const byName = new Map<string, { name: string; mac?: string; state?: string; flags?: string[]; addresses: string[] }>();
  for (const line of linkText.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>.*?(?:state (\S+))?.*?link\/\S+(?: ([0-9a-f:]{17}))?/.exec(line);
    if (m) {
      byName.set(m[1]!, {
        name: m[1]!, state: m[3], flags: m[2]!.split(',').filter(Boolean), mac: m[4] && m[4] !== '00:00:00:00:00:00' ? m[4] : undefined, addresses: [],
      });
    }
  }
  for (const line of addrText.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet6?\s+(\S+)/.exec(line);
    if (!m) continue;
    const entry = byName.get(m[1]!) ?? { name: m[1]!, addresses: [] };
    entry.addresses.push(m[2]!);
    byName.set(m[1]!, entry);
  }
  return [...byName.values()];
}

/** Output whose first line names the tool the script found (dpkg, rpm, apk; systemd, sysv, initd). */
function withManager(text: string): { manager: string; lines: string[] } {
  const [first, ...lines] = text.split('\n');
  return { manager: (first ?? '').trim(), lines };
}

export interface Package {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  readonly status?: string;
}

/** The package list; the first line names the manager (dpkg, rpm, apk) the script found. */
export function parsePackages(text: string): { manager: string; packages: Package[] } {
  const { manager, lines } = withManager(text);
  const packages: Package[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    if (manager === 'apk') {
      // "name-1.2.3-r0 x86_64 {origin} (license) [installed]"
      const m = /^(\S+?)-(\d\S*-r\d+)\s+(\S+)/.exec(line);
      if (m) packages.push({ name: m[1]!, version: m[2]!, arch: m[3]! });
      continue;
    }
    const [name, version, arch, status] = line.split('\t');
    if (name) packages.push({ name, version: version ?? '', arch: arch ?? '', status: status?.trim() || undefined });
  }
  return { manager, packages };
}

export interface ServiceState {
  readonly name: string;
  readonly state: string;
  readonly detail?: string;
}

/** systemd units (`systemctl list-units --plain`), or `service --status-all` marks ([ + ] running, [ - ] stopped). */
export function parseServices(text: string): { manager: string; services: ServiceState[] } {
  const { manager, lines } = withManager(text);
  const services: ServiceState[] = [];
  for (const line of lines) {
    if (manager === 'systemd') {
      const m = /^\s*(\S+)\.service\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
      if (m) services.push({ name: m[1]!, state: m[4]!, detail: `${m[2]} ${m[3]}` });
    } else if (manager === 'sysv') {
      const m = /^\s*\[ ([+?-]) \]\s+(\S+)/.exec(line);
      if (m) services.push({ name: m[2]!, state: m[1] === '+' ? 'running' : m[1] === '-' ? 'stopped' : 'unknown' });
    } else if (manager === 'initd' && line.trim()) services.push({ name: line.trim(), state: 'unknown' });
  }
  return { manager, services };
}

export interface ListeningSocket {
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  readonly process?: string;
}

/** `ss -H -tuln[p]`: "tcp LISTEN 0 128 127.0.0.1:22 0.0.0.0:* users:(("sshd",pid=1,fd=3))". */
export function parseSockets(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    const local = cols[4]!;
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) continue;
    const proc = /users:\(\("([^"]+)"/.exec(line)?.[1];
    out.push({ protocol: cols[0]!, address: local.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port, process: proc });
  }
  return out;
}
