import { certificateNumber } from '../registries/property/index.js';
import { BANKS, COURTS } from './names.js';
import type { Village } from './places.js';
import type { Prng } from './prng.js';

export interface SyntheticUnit {
  unitNumber: string;
  kind: 'building' | 'land';
  usage: 'residential' | 'homestead' | 'commercial' | 'industrial' | 'office';
  floorArea: number | null;
  address: string;
  divisionCode: string;
  registeredOn: string;
}

export interface SyntheticEncumbrance {
  kind: 'mortgage' | 'seizure';
  holder: string;
  certificateNumber: string | null;
  startsOn: string;
  endsOn: string | null;
}

/** Generates real-estate units with unique GB/T 37346 numbers, certificates and encumbrances. */
export class PropertyGenerator {
  private readonly unitsPerVillage = new Map<string, number>();
  private readonly certificates = new Map<number, number>();

  constructor(private readonly rng: Prng) {}

  /** A unit in `village`: an apartment on state land in towns, a house on a homestead in the country. */
  unit(village: Village, usage: SyntheticUnit['usage'], address: string): SyntheticUnit {
    const i = this.unitsPerVillage.get(village.code) ?? 0;
    this.unitsPerVillage.set(village.code, i + 1);
    const urban = village.urban || usage !== 'homestead';
    // County (6) + cadastral area (township digits) + sub-area (village digits).
    const zone = village.code;
    const ownerRight = urban ? 'GB' : 'JC';
    // In towns 60 units share a parcel (3 buildings of 20 rooms); in the country each house has its own.
    const parcel = urban ? Math.floor(i / 60) + 1 : i + 1;
    const building = urban ? Math.floor((i % 60) / 20) + 1 : 1;
    const room = urban ? 101 + (i % 20) : 1;
    const unitNumber = `${zone}${ownerRight}${String(parcel).padStart(5, '0')}F${String(building).padStart(4, '0')}${String(room).padStart(4, '0')}`;
    const floorArea = usage === 'homestead' ? this.rng.int(110, 320) : usage === 'residential' ? this.rng.int(55, 165) : this.rng.int(80, 3000);
    const registeredOn = `${this.rng.int(2016, 2025)}-${String(this.rng.int(1, 12)).padStart(2, '0')}-${String(this.rng.int(1, 28)).padStart(2, '0')}`;
    return { unitNumber, kind: 'building', usage, floorArea, address, divisionCode: village.code, registeredOn };
  }

  /** A certificate number for a right registered on `day`: 不动产权 for ownership, 不动产证明 for mortgages. */
  certificate(day: string, kind: '权' | '证明' = '权'): string {
    const year = Number(day.slice(0, 4));
    const serial = (this.certificates.get(year) ?? 0) + 1;
    this.certificates.set(year, serial);
    return certificateNumber(year, serial, kind);
  }

  /** Mortgages for a fifth of town units, a seizure now and then. */
  encumbrances(unit: SyntheticUnit, countyCode: string): SyntheticEncumbrance[] {
    const found: SyntheticEncumbrance[] = [];
    if (unit.usage !== 'homestead' && this.rng.chance(0.2)) {
      const ends = `${Number(unit.registeredOn.slice(0, 4)) + this.rng.pick([10, 20, 30])}${unit.registeredOn.slice(4)}`;
      found.push({ kind: 'mortgage', holder: this.rng.pick(BANKS), certificateNumber: this.certificate(unit.registeredOn, '证明'), startsOn: unit.registeredOn, endsOn: ends });
    }
    if (this.rng.chance(0.005)) {
      const startsOn = `${this.rng.int(2023, 2025)}-${String(this.rng.int(1, 12)).padStart(2, '0')}-${String(this.rng.int(1, 28)).padStart(2, '0')}`;
      found.push({ kind: 'seizure', holder: COURTS[countyCode] ?? '永州市中级人民法院', certificateNumber: null, startsOn, endsOn: null });
    }
    return found;
  }
}
