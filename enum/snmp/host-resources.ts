/**
 * HOST-RESOURCES-MIB (RFC 2790): storage (hrStorageTable), devices and processors (hrDeviceTable,
 * hrProcessorTable), installed software (hrSWInstalledTable) and running software (hrSWRunTable). A process's
 * command line (hrSWRunParameters) is never read: it can hold another program's secrets.
 */
import { arcs, isBelow } from './oid.js';
import { dateAndTime, int, oid, text } from './values.js';
import type { SnmpSession } from './session.js';
import { cutsOf, Reading, readTable, tableSource, TableSpec } from './table.js';
import type { WalkBounds } from './walk.js';

export const HR_STORAGE_TABLE: TableSpec<'hrStorageType' | 'hrStorageDescr' | 'hrStorageAllocationUnits' | 'hrStorageSize' | 'hrStorageUsed'> = {
  name: 'HOST-RESOURCES-MIB hrStorageTable', entry: '1.3.6.1.2.1.25.2.3.1',
  columns: { hrStorageType: 2, hrStorageDescr: 3, hrStorageAllocationUnits: 4, hrStorageSize: 5, hrStorageUsed: 6 },
};
export const HR_DEVICE_TABLE: TableSpec<'hrDeviceType' | 'hrDeviceDescr' | 'hrDeviceStatus'> = {
  name: 'HOST-RESOURCES-MIB hrDeviceTable', entry: '1.3.6.1.2.1.25.3.2.1', columns: { hrDeviceType: 2, hrDeviceDescr: 3, hrDeviceStatus: 5 },
};
export const HR_PROCESSOR_TABLE: TableSpec<'hrProcessorLoad'> = {
  name: 'HOST-RESOURCES-MIB hrProcessorTable', entry: '1.3.6.1.2.1.25.3.3.1', columns: { hrProcessorLoad: 2 },
};
export const HR_SW_INSTALLED_TABLE: TableSpec<'hrSWInstalledName' | 'hrSWInstalledType' | 'hrSWInstalledDate'> = {
  name: 'HOST-RESOURCES-MIB hrSWInstalledTable', entry: '1.3.6.1.2.1.25.6.3.1', columns: { hrSWInstalledName: 2, hrSWInstalledType: 4, hrSWInstalledDate: 5 },
};
export const HR_SW_RUN_TABLE: TableSpec<'hrSWRunName' | 'hrSWRunPath' | 'hrSWRunType' | 'hrSWRunStatus'> = {
  name: 'HOST-RESOURCES-MIB hrSWRunTable', entry: '1.3.6.1.2.1.25.4.2.1', columns: { hrSWRunName: 2, hrSWRunPath: 4, hrSWRunType: 6, hrSWRunStatus: 7 },
};

/** hrStorageTypes (RFC 2790 hrStorage 1): 1.3.6.1.2.1.25.2.1.N. */
const STORAGE_TYPES = ['other', 'ram', 'virtualMemory', 'fixedDisk', 'removableDisk', 'floppyDisk', 'compactDisc', 'ramDisk', 'flashMemory', 'networkDisk'];
/** hrDeviceTypes (RFC 2790 hrDevice 1): 1.3.6.1.2.1.25.3.1.N. */
const DEVICE_TYPES = ['other', 'unknown', 'processor', 'network', 'printer', 'diskStorage', '', '', '', 'video', 'audio', 'coprocessor', 'keyboard',
  'modem', 'parallelPort', 'pointing', 'serialPort', 'tape', 'clock', 'volatileMemory', 'nonVolatileMemory'];
const DEVICE_STATUS: Readonly<Record<number, string>> = { 1: 'unknown', 2: 'running', 3: 'warning', 4: 'testing', 5: 'down' };
const SW_TYPES: Readonly<Record<number, string>> = { 1: 'unknown', 2: 'operatingSystem', 3: 'deviceDriver', 4: 'application' };
const RUN_STATUS: Readonly<Record<number, string>> = { 1: 'running', 2: 'runnable', 3: 'notRunnable', 4: 'invalid' };

/** The name after the last arc of a registration OID under `base` (hrStorageTypes, hrDeviceTypes). */
function registered(value: string | undefined, base: string, names: readonly string[]): string | undefined {
  if (!value) return undefined;
  if (!isBelow(base, value)) return value;
  return names[(arcs(value).at(-1) ?? 0) - 1] || value;
}

const label = (table: Readonly<Record<number, string>>, n: number | undefined) => (n === undefined ? undefined : table[n] ?? String(n));

export interface SnmpStorage {
  readonly index: number;
  readonly type?: string;
  readonly descr?: string;
  readonly sizeBytes?: number;
  readonly usedBytes?: number;
}

export async function readStorage(session: SnmpSession, bounds: WalkBounds): Promise<Reading<SnmpStorage[]>> {
  const t = await readTable(session, HR_STORAGE_TABLE, bounds);
  const value = t.rows.map((r): SnmpStorage => {
    const unit = int(r.cell('hrStorageAllocationUnits'));
    const bytes = (n: number | undefined) => (unit === undefined || n === undefined ? undefined : n * unit);
    return {
      index: Number(r.index), type: registered(oid(r.cell('hrStorageType')), '1.3.6.1.2.1.25.2.1', STORAGE_TYPES), descr: text(r.cell('hrStorageDescr')),
      sizeBytes: bytes(int(r.cell('hrStorageSize'))), usedBytes: bytes(int(r.cell('hrStorageUsed'))),
    };
  });
  return { value, source: tableSource(HR_STORAGE_TABLE), cuts: cutsOf([HR_STORAGE_TABLE, t]) };
}

export interface SnmpDevice {
  readonly index: number;
  readonly type?: string;
  readonly descr?: string;
  readonly status?: string;
  /** For a processor, its load over the last minute in percent (hrProcessorLoad). */
  readonly loadPercent?: number;
}

/** The devices; processors carry their load (hrProcessorTable shares hrDeviceIndex). */
export async function readDevices(session: SnmpSession, bounds: WalkBounds): Promise<Reading<SnmpDevice[]>> {
  const devices = await readTable(session, HR_DEVICE_TABLE, bounds);
  const processors = await readTable(session, HR_PROCESSOR_TABLE, bounds);
  const loadOf = new Map(processors.rows.map((r) => [r.index, int(r.cell('hrProcessorLoad'))]));
  const value = devices.rows.map((r): SnmpDevice => ({
    index: Number(r.index), type: registered(oid(r.cell('hrDeviceType')), '1.3.6.1.2.1.25.3.1', DEVICE_TYPES),
    descr: text(r.cell('hrDeviceDescr')), status: label(DEVICE_STATUS, int(r.cell('hrDeviceStatus'))), loadPercent: loadOf.get(r.index),
  }));
  return {
    value, source: `${tableSource(HR_DEVICE_TABLE)}; ${tableSource(HR_PROCESSOR_TABLE)}`,
    cuts: cutsOf([HR_DEVICE_TABLE, devices], [HR_PROCESSOR_TABLE, processors]),
  };
}

export interface SnmpPackage {
  /** The package name: hrSWInstalledName as the agent gave it, or its name part when it is a Debian `name_version_arch`. */
  readonly name: string;
  readonly version?: string;
  readonly arch?: string;
  /** hrSWInstalledName as the agent gave it. */
  readonly installedName: string;
  readonly type?: string;
  /** hrSWInstalledDate, when the agent knows it. */
  readonly installed?: string;
}

/**
 * Debian's snmpd names each package `name_version_arch` (dpkg-query's ${Package}_${Version}_${Architecture}):
 * neither a Debian package name nor a version may hold `_`, so the split is exact. Other agents' names are kept
 * whole (net-snmp upstream's `name-version` and RPM's `name-version-release` cannot be split without guessing).
 */
export function splitDebianName(installedName: string): { name: string; version: string; arch: string } | undefined {
  const m = /^([a-z0-9][a-z0-9+.-]+)_([0-9][A-Za-z0-9.+~:-]*)_([a-z0-9-]+)$/.exec(installedName);
  return m ? { name: m[1]!, version: m[2]!, arch: m[3]! } : undefined;
}

/** The installed software in the shape of an SSH enumeration's `software` fact (`report software` reads both). */
export async function readSoftware(session: SnmpSession, bounds: WalkBounds): Promise<Reading<{ manager: 'snmp'; packages: SnmpPackage[] }>> {
  const t = await readTable(session, HR_SW_INSTALLED_TABLE, bounds);
  const packages = t.rows.flatMap((r): SnmpPackage[] => {
    const installedName = text(r.cell('hrSWInstalledName'));
    if (!installedName) return [];
    const debian = splitDebianName(installedName);
    return [{
      name: debian?.name ?? installedName, version: debian?.version, arch: debian?.arch, installedName,
      type: label(SW_TYPES, int(r.cell('hrSWInstalledType'))), installed: dateAndTime(r.cell('hrSWInstalledDate')),
    }];
  });
  return { value: { manager: 'snmp', packages }, source: tableSource(HR_SW_INSTALLED_TABLE), cuts: cutsOf([HR_SW_INSTALLED_TABLE, t]) };
}

export interface SnmpProcess {
  /** hrSWRunIndex: the process ID on most agents. */
  readonly pid: number;
  readonly name?: string;
  readonly path?: string;
  readonly type?: string;
  readonly status?: string;
}

export async function readProcesses(session: SnmpSession, bounds: WalkBounds): Promise<Reading<SnmpProcess[]>> {
  const t = await readTable(session, HR_SW_RUN_TABLE, bounds);
  const value = t.rows.map((r): SnmpProcess => ({
    pid: Number(r.index), name: text(r.cell('hrSWRunName')), path: text(r.cell('hrSWRunPath')) || undefined,
    type: label(SW_TYPES, int(r.cell('hrSWRunType'))), status: label(RUN_STATUS, int(r.cell('hrSWRunStatus'))),
  }));
  return { value, source: tableSource(HR_SW_RUN_TABLE), cuts: cutsOf([HR_SW_RUN_TABLE, t]) };
}
