/** Every probe, and which ones a port gets: the banner (empty probe) first where a server may speak first. */
import type { Probe } from './core/probe.js';
import { bannerProbe } from './banner/probe.js';
import { httpProbe, httpsProbe } from './http/probe.js';
import { ldapProbe } from './ldap/probe.js';
import { mongodbProbe } from './mongodb/probe.js';
import { mssqlProbe } from './mssql/probe.js';
import { oracleProbe } from './oracle/probe.js';
import { mysqlProbe } from './mysql/probe.js';
import { firstPacket } from './mysql/codec.js';
import { pop3Probe } from './pop3/probe.js';
import { postgresProbe } from './postgres/probe.js';
import { rdpProbe } from './rdp/probe.js';
import { smbProbe } from './smb/probe.js';
import { sshProbe } from './ssh/probe.js';
import { tlsProbe } from './tls/probe.js';

export const PROBES = { banner: bannerProbe, ssh: sshProbe, http: httpProbe, https: httpsProbe, tls: tlsProbe, pop3: pop3Probe, mysql: mysqlProbe, postgresql: postgresProbe, ldap: ldapProbe, rdp: rdpProbe, smb: smbProbe, mssql: mssqlProbe, 'oracle-tns': oracleProbe, mongodb: mongodbProbe } as const;
export type ProbeName = keyof typeof PROBES;

/** Ports whose protocol waits for the client: the empty probe would only wait out its timeout there. */
const CLIENT_FIRST: Readonly<Record<number, ProbeName[]>> = {
  80: ['http'], 8080: ['http'], 8000: ['http'], 443: ['https'], 8443: ['https'],
  389: ['ldap'], 3268: ['ldap'], 636: ['tls'], 3269: ['tls'], 3389: ['rdp'], 5432: ['postgresql'], 445: ['smb'], 139: ['smb'], 1433: ['mssql'], 1521: ['oracle-tns'], 27017: ['mongodb'],
};

/** The probes to run on a port before anything is known. */
export function firstProbes(port: number): ProbeName[] {
  return CLIENT_FIRST[port] ?? ['banner'];
}

/** The probes that follow the banner probe, chosen by what the server said (or did not say). */
export function followUps(port: number, banner: Buffer | undefined): ProbeName[] {
  if (banner && banner.length > 0) {
    const text = banner.toString('latin1');
    if (text.startsWith('SSH-')) return ['ssh'];
    if (text.startsWith('+OK')) return ['pop3'];
    try {
      if (firstPacket(banner)) return ['mysql'];
    } catch {
      // not a MySQL packet
    }
    return [];
  }
  return port === 3306 ? ['mysql'] : ['tls', 'http'];
}

export function probe(name: ProbeName): Probe {
  return PROBES[name];
}
