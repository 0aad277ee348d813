/**
 * ENTITY-MIB (RFC 6933): the physical inventory (entPhysicalTable, 2.1 and 7 entPhysicalEntry): chassis, modules,
 * power supplies, fans, ports, with model, serial number and revisions. Most network devices offer it; Debian's
 * snmpd does not.
 */
import { int, oid, text } from './values.js';
import type { SnmpSession } from './session.js';
import { cutsOf, Reading, readTable, tableSource, TableSpec } from './table.js';
import type { WalkBounds } from './walk.js';

export const ENT_PHYSICAL_TABLE: TableSpec<
  'entPhysicalDescr' | 'entPhysicalVendorType' | 'entPhysicalContainedIn' | 'entPhysicalClass' | 'entPhysicalName' | 'entPhysicalHardwareRev'
  | 'entPhysicalFirmwareRev' | 'entPhysicalSoftwareRev' | 'entPhysicalSerialNum' | 'entPhysicalMfgName' | 'entPhysicalModelName' | 'entPhysicalIsFRU'
> = {
  name: 'ENTITY-MIB entPhysicalTable', entry: '1.3.6.1.2.1.47.1.1.1.1',
  columns: {
    entPhysicalDescr: 2, entPhysicalVendorType: 3, entPhysicalContainedIn: 4, entPhysicalClass: 5, entPhysicalName: 7, entPhysicalHardwareRev: 8,
    entPhysicalFirmwareRev: 9, entPhysicalSoftwareRev: 10, entPhysicalSerialNum: 11, entPhysicalMfgName: 12, entPhysicalModelName: 13, entPhysicalIsFRU: 16,
  },
};

/** PhysicalClass (RFC 6933 6, ENTITY-MIB textual conventions). */
export const PHYSICAL_CLASSES: Readonly<Record<number, string>> = {
  1: 'other', 2: 'unknown', 3: 'chassis', 4: 'backplane', 5: 'container', 6: 'powerSupply', 7: 'fan', 8: 'sensor', 9: 'module', 10: 'port',
  11: 'stack', 12: 'cpu', 13: 'energyObject', 14: 'battery', 15: 'storageDrive',
};

export interface PhysicalEntity {
  /** entPhysicalIndex. */
  readonly index: number;
  readonly class?: string;
  readonly name?: string;
  readonly descr?: string;
  /** The entPhysicalIndex of the entity holding this one (0: none). */
  readonly containedIn?: number;
  readonly vendorType?: string;
  readonly model?: string;
  readonly serial?: string;
  readonly hardwareRev?: string;
  readonly firmwareRev?: string;
  readonly softwareRev?: string;
  readonly manufacturer?: string;
  readonly fieldReplaceable?: boolean;
}

export async function readPhysical(session: SnmpSession, bounds: WalkBounds): Promise<Reading<PhysicalEntity[]>> {
  const t = await readTable(session, ENT_PHYSICAL_TABLE, bounds);
  // Empty strings are what an agent sends for "not known" (RFC 6933 describes each column so).
  const known = (s: string | undefined) => (s ? s : undefined);
  const value = t.rows.map((r): PhysicalEntity => {
    const cls = int(r.cell('entPhysicalClass'));
    const fru = int(r.cell('entPhysicalIsFRU'));
    const vendorType = oid(r.cell('entPhysicalVendorType'));
    return {
      index: Number(r.index), class: cls === undefined ? undefined : PHYSICAL_CLASSES[cls] ?? String(cls),
      name: known(text(r.cell('entPhysicalName'))), descr: known(text(r.cell('entPhysicalDescr'))), containedIn: int(r.cell('entPhysicalContainedIn')),
      vendorType: vendorType && vendorType !== '0.0' ? vendorType : undefined,
      model: known(text(r.cell('entPhysicalModelName'))), serial: known(text(r.cell('entPhysicalSerialNum'))),
      hardwareRev: known(text(r.cell('entPhysicalHardwareRev'))), firmwareRev: known(text(r.cell('entPhysicalFirmwareRev'))),
      softwareRev: known(text(r.cell('entPhysicalSoftwareRev'))), manufacturer: known(text(r.cell('entPhysicalMfgName'))),
      fieldReplaceable: fru === 1 ? true : fru === 2 ? false : undefined,
    };
  });
  return { value, source: tableSource(ENT_PHYSICAL_TABLE), cuts: cutsOf([ENT_PHYSICAL_TABLE, t]) };
}
