/**
 * `--format xml` / `-oX FILE`: a scan written as nmap's XML output (nmap.dtd, xmloutputversion 1.05), so tools that
 * import nmap results (nmap's own nmap.xsl, parsers, vulnerability managers) read surveyor's scans. Surveyor's
 * sweep is a TCP connect scan, so it is described as nmap's `-sT` (`scaninfo type="connect"`); only hosts with a
 * port to report are written, as nmap writes only hosts that are up. Reasons are those nmap gives a connect scan.
 */
import type { AssetRecord } from './output.js';

/** What the run element and its statistics need, beside the hosts. */
export interface NmapRun {
  /** The command line, as nmap puts its own in `args`. */
  readonly args: string;
  /** ISO time the scan started. */
  readonly startedAt: string;
  readonly ports: readonly number[];
  /** Addresses the scan covered (up or not). */
  readonly hostsTotal: number;
}

const REASONS: Record<string, string> = { open: 'syn-ack', closed: 'conn-refused', filtered: 'no-response' };

/** XML 1.0 attribute text: markup characters escaped, characters XML cannot hold dropped. */
export function xmlAttr(value: string | number): string {
  return String(value)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function element(name: string, attrs: Record<string, string | number | undefined>, body?: string): string {
  const text = Object.entries(attrs).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => ` ${k}="${xmlAttr(v!)}"`).join('');
  return body === undefined ? `<${name}${text}/>` : `<${name}${text}>${body}</${name}>`;
}

/** nmap's compressed port list: `22,80,8000-8100`. */
function serviceList(ports: readonly number[]): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return out.join(',');
}

const seconds = (iso: string | Date) => Math.floor(new Date(iso).getTime() / 1000);

function hostXml(a: AssetRecord, time: number): string {
  const family = a.address.includes(':') ? 'ipv6' : 'ipv4';
  const ports = a.ports.map((p) => {
    const sv = p.service;
    const service = sv?.service ? element('service', { name: sv.service, product: sv.product, version: sv.version, method: 'probed', conf: 10 }) : '';
    return element('port', { protocol: 'tcp', portid: p.port }, element('state', { state: p.state, reason: REASONS[p.state] ?? p.state, reason_ttl: 0 }) + service);
  });
  const names = a.hostnames.map((n) => element('hostname', { name: n, type: 'user' })).join('');
  const os = a.os?.name ? element('os', {}, element('osmatch', { name: [a.os.name, a.os.version].filter(Boolean).join(' '), accuracy: 100, line: 0 })) : '';
  return element('host', { starttime: time, endtime: time },
    element('status', { state: 'up', reason: 'syn-ack', reason_ttl: 0 })
    + element('address', { addr: a.address, addrtype: family })
    + element('hostnames', {}, names)
    + element('ports', {}, ports.join('\n'))
    + os) + '\n';
}

/** Streams hosts as they come; `end` closes the document with nmap's run statistics. */
export class NmapXmlWriter {
  private up = 0;
  private started = false;

  constructor(private readonly write: (text: string) => void, private readonly run: NmapRun) {}

  private start(): void {
    if (this.started) return;
    this.started = true;
    const start = seconds(this.run.startedAt);
    this.write('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'
      + '<?xml-stylesheet href="file:///usr/share/nmap/nmap.xsl" type="text/xsl"?>\n'
      + `<nmaprun scanner="surveyor" args="${xmlAttr(this.run.args)}" start="${start}" startstr="${xmlAttr(new Date(this.run.startedAt).toUTCString())}" version="1.0" xmloutputversion="1.05">\n`
      + element('scaninfo', { type: 'connect', protocol: 'tcp', numservices: new Set(this.run.ports).size, services: serviceList(this.run.ports) }) + '\n'
      + '<verbose level="0"/>\n<debugging level="0"/>\n');
  }

  add(asset: AssetRecord): void {
    this.start();
    if (asset.ports.length === 0) return; // nothing shows it up
    this.up++;
    this.write(hostXml(asset, seconds(new Date())));
  }

  end(): void {
    this.start();
    const now = new Date();
    const elapsed = ((now.getTime() - new Date(this.run.startedAt).getTime()) / 1000).toFixed(2);
    const total = Math.max(this.run.hostsTotal, this.up);
    const summary = `surveyor done at ${now.toUTCString()}; ${total} IP address${total === 1 ? '' : 'es'} (${this.up} host${this.up === 1 ? '' : 's'} up) scanned in ${elapsed} seconds`;
    this.write('<runstats>'
      + element('finished', { time: seconds(now), timestr: now.toUTCString(), summary, elapsed, exit: 'success' })
      + element('hosts', { up: this.up, down: total - this.up, total })
      + '</runstats>\n</nmaprun>\n');
  }
}
