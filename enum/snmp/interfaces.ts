/** IF-MIB (RFC 2863): the interfaces, from ifTable (3.1.5, ifEntry) and ifXTable (ifName, ifHighSpeed, ifAlias). */
import { int, physAddress, text } from './values.js';
import type { SnmpSession } from './session.js';
import { cutsOf, Reading, readTable, tableSource, TableSpec } from './table.js';
import type { WalkBounds } from './walk.js';

export const IF_TABLE: TableSpec<'ifDescr' | 'ifType' | 'ifMtu' | 'ifSpeed' | 'ifPhysAddress' | 'ifAdminStatus' | 'ifOperStatus'> = {
  name: 'IF-MIB ifTable', entry: '1.3.6.1.2.1.2.2.1',
  columns: { ifDescr: 2, ifType: 3, ifMtu: 4, ifSpeed: 5, ifPhysAddress: 6, ifAdminStatus: 7, ifOperStatus: 8 },
};

export const IF_X_TABLE: TableSpec<'ifName' | 'ifHighSpeed' | 'ifAlias'> = {
  name: 'IF-MIB ifXTable', entry: '1.3.6.1.2.1.31.1.1.1', columns: { ifName: 1, ifHighSpeed: 15, ifAlias: 18 },
};

/** IANAifType values seen on most devices (the full list is IANA's ianaiftype-mib). */
const IF_TYPES: Readonly<Record<number, string>> = {
  1: 'other', 6: 'ethernetCsmacd', 23: 'ppp', 24: 'softwareLoopback', 53: 'propVirtual', 71: 'ieee80211', 131: 'tunnel',
  135: 'l2vlan', 136: 'l3ipvlan', 161: 'ieee8023adLag', 209: 'bridge',
};

/** ifAdminStatus and ifOperStatus (RFC 2863 ifEntry). */
const STATUS: Readonly<Record<number, string>> = {
  1: 'up', 2: 'down', 3: 'testing', 4: 'unknown', 5: 'dormant', 6: 'notPresent', 7: 'lowerLayerDown',
};

export interface SnmpInterface {
  /** ifIndex. */
  readonly index: number;
  /** ifName, else ifDescr. */
  readonly name: string;
  readonly descr?: string;
  readonly type?: number;
  readonly typeName?: string;
  readonly mtu?: number;
  /** Bits per second: ifSpeed, or ifHighSpeed (in Mb/s) when ifSpeed is saturated at 2^32-1 or absent. */
  readonly speedBps?: number;
  readonly mac?: string;
  readonly adminStatus?: string;
  readonly operStatus?: string;
  readonly alias?: string;
}

/** ifSpeed saturates here; RFC 2863 then points to ifHighSpeed. */
const IF_SPEED_MAX = 4_294_967_295;

export async function readInterfaces(session: SnmpSession, bounds: WalkBounds): Promise<Reading<SnmpInterface[]>> {
  const base = await readTable(session, IF_TABLE, bounds);
  const ext = await readTable(session, IF_X_TABLE, bounds);
  const extOf = new Map(ext.rows.map((r) => [r.index, r]));
  const indexes = [...new Set([...base.rows.map((r) => r.index), ...ext.rows.map((r) => r.index)])].filter((i) => /^\d+$/.test(i));
  const baseOf = new Map(base.rows.map((r) => [r.index, r]));
  // Absent fields stay undefined: facts are stored as JSON, which leaves them out.
  const value = indexes.sort((a, b) => Number(a) - Number(b)).map((index): SnmpInterface => {
    const b = baseOf.get(index);
    const x = extOf.get(index);
    const descr = text(b?.cell('ifDescr'));
    const type = int(b?.cell('ifType'));
    const speed = int(b?.cell('ifSpeed'));
    const high = int(x?.cell('ifHighSpeed'));
    const admin = int(b?.cell('ifAdminStatus'));
    const oper = int(b?.cell('ifOperStatus'));
    return {
      index: Number(index), name: text(x?.cell('ifName')) || descr || `ifIndex ${index}`, descr,
      type, typeName: type === undefined ? undefined : IF_TYPES[type], mtu: int(b?.cell('ifMtu')),
      speedBps: speed !== undefined && speed < IF_SPEED_MAX ? speed : high !== undefined ? high * 1_000_000 : speed,
      mac: physAddress(b?.cell('ifPhysAddress')),
      adminStatus: admin === undefined ? undefined : STATUS[admin] ?? String(admin),
      operStatus: oper === undefined ? undefined : STATUS[oper] ?? String(oper),
      alias: text(x?.cell('ifAlias')) || undefined,
    };
  });
  return { value, source: `${tableSource(IF_TABLE)}; ${tableSource(IF_X_TABLE)}`, cuts: cutsOf([IF_TABLE, base], [IF_X_TABLE, ext]) };
}
