/**
 * Machine-readable and human output of assets. Every JSON object carries `"schema": 1`; the README documents
 * the fields. jsonl and csv stream one host at a time; json and table are written when the data is complete.
 */
import type { PortResult } from '../scanner/engine/types.js';
import { csvField, renderTable, SCHEMA_VERSION } from '../app/formats.js';
import type { Format } from './args.js';

export interface PortRecord extends Pick<PortResult, 'port' | 'state' | 'rttMs'> {
  readonly service?: { readonly service: string | null; readonly product?: string; readonly version?: string; readonly namingContexts?: readonly string[] };
  /** From the store (`assets`): the scan that last saw the port and when it ended. */
  readonly scanId?: number;
  readonly lastSeen?: string;
}

/** What a credentialed enumeration of the host found, in brief (the details are in the store). */
export interface EnumerationSummary {
  readonly method: string;
  readonly port: number;
  readonly credential: string;
  readonly status: string;
  readonly notes: readonly string[];
  readonly accounts: number;
  readonly privileged: readonly string[];
  readonly sshKeys: number;
}

export interface AssetRecord {
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly ports: readonly PortRecord[];
  readonly partial?: boolean;
  readonly firstSeen?: string;
  readonly lastSeen?: string;
  readonly os?: { readonly family?: string; readonly name?: string; readonly version?: string; readonly deviceType?: string };
  readonly domain?: string;
  readonly netbios?: { readonly name?: string; readonly domain?: string };
  readonly enumerations?: readonly EnumerationSummary[];
}

function portJson(p: PortRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { port: p.port, protocol: 'tcp', state: p.state, rttMs: p.rttMs };
  if (p.service?.service) out.service = p.service.service;
  if (p.service?.product) out.product = p.service.product;
  if (p.service?.version) out.version = p.service.version;
  if (p.service?.namingContexts?.length) out.namingContexts = p.service.namingContexts;
  if (p.scanId !== undefined) out.scanId = p.scanId;
  if (p.lastSeen !== undefined) out.lastSeen = p.lastSeen;
  return out;
}

export function assetJson(asset: AssetRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    schema: SCHEMA_VERSION,
    address: asset.address,
    hostnames: asset.hostnames,
    ports: asset.ports.map(portJson),
  };
  if (asset.os && (asset.os.family || asset.os.name || asset.os.deviceType)) {
    out.os = Object.fromEntries(Object.entries({ family: asset.os.family, name: asset.os.name, version: asset.os.version, deviceType: asset.os.deviceType }).filter(([, v]) => v !== undefined));
  }
  if (asset.domain) out.domain = asset.domain;
  if (asset.netbios) out.netbios = asset.netbios;
  if (asset.enumerations?.length) out.enumerations = asset.enumerations;
  if (asset.partial) out.partial = true;
  if (asset.firstSeen) out.firstSeen = asset.firstSeen;
  if (asset.lastSeen) out.lastSeen = asset.lastSeen;
  return out;
}

const CSV_HEADER = 'address,hostnames,port,protocol,state,rtt_ms,service,product,version';

export function csvRows(asset: AssetRecord): string[] {
  const names = csvField(asset.hostnames.join(';'));
  return asset.ports.map((p) =>
    [csvField(asset.address), names, p.port, 'tcp', p.state, p.rttMs, csvField(p.service?.service ?? ''), csvField(p.service?.product ?? ''), csvField(p.service?.version ?? '')].join(','));
}

/** Writes assets in one format to a text sink; `end()` writes what the format keeps until the end. */
export class AssetWriter {
  private readonly kept: AssetRecord[] = [];
  private started = false;

  constructor(
    private readonly format: Format,
    private readonly write: (text: string) => void,
    private readonly envelope: () => Record<string, unknown> = () => ({}),
  ) {}

  add(asset: AssetRecord): void {
    if (this.format === 'jsonl') this.write(JSON.stringify(assetJson(asset)) + '\n');
    else if (this.format === 'csv') {
      if (!this.started) this.write(CSV_HEADER + '\n');
      this.started = true;
      for (const row of csvRows(asset)) this.write(row + '\n');
    } else this.kept.push(asset);
  }

  end(sort: (a: AssetRecord, b: AssetRecord) => number): void {
    if (this.format === 'csv' && !this.started) this.write(CSV_HEADER + '\n');
    if (this.format === 'json') {
      const assets = this.kept.sort(sort).map(assetJson);
      this.write(JSON.stringify({ schema: SCHEMA_VERSION, ...this.envelope(), assets }, null, 2) + '\n');
    }
    if (this.format === 'table') {
      const rows: string[][] = [];
      for (const a of this.kept.sort(sort)) {
        for (const p of a.ports) {
          const sv = p.service;
          rows.push([a.address, a.hostnames.join(',') || '-', `${p.port}/tcp`, p.state, sv?.service ?? '-', [sv?.product, sv?.version].filter(Boolean).join(' ') || '-', p.rttMs.toFixed(2)]);
        }
      }
      this.write(rows.length ? renderTable(['ADDRESS', 'HOSTNAMES', 'PORT', 'STATE', 'SERVICE', 'PRODUCT', 'RTT_MS'], rows) : 'no open ports found\n');
      const enums = this.kept.flatMap((a) => (a.enumerations ?? []).map((e) => [
        a.address, `${e.method}/${e.port}`, e.credential, e.status, String(e.accounts), e.privileged.join(',') || '-', String(e.sshKeys), e.notes.join(' | ') || '-',
      ]));
      if (enums.length) this.write('\n' + renderTable(['ADDRESS', 'ENUMERATION', 'CREDENTIAL', 'STATUS', 'ACCOUNTS', 'PRIVILEGED', 'SSH_KEYS', 'NOTES'], enums));
    }
  }
}
