import { makeIdNumber, type Gender } from '../registries/population/index.js';
import { GIVEN_FEMALE, GIVEN_MALE, MINORITIES, SURNAMES } from './names.js';
import { addressCodeAtBirth, type Village } from './places.js';
import type { Prng } from './prng.js';

/** Share of the population per 5-year age band, 0–4 … 95–99 (shape of China's 2020 census). */
const AGE_BANDS = [5.7, 6.5, 6.3, 5.8, 5.3, 6.5, 8.3, 7.6, 6.6, 7.0, 8.5, 8.6, 6.9, 5.8, 5.1, 3.4, 2.2, 1.3, 0.5, 0.1];

/** Household sizes 1–6 and how common each is. */
const HOUSEHOLD_SIZES: [number, number][] = [[1, 22], [2, 28], [3, 22], [4, 15], [5, 8], [6, 5]];

export interface SyntheticPerson {
  idNumber: string;
  name: string;
  formerNames: string[];
  gender: Gender;
  birthDate: string;
  age: number;
  ethnicity: string;
  maritalStatus: 'unmarried' | 'married' | 'divorced' | 'widowed';
  status: 'living' | 'deceased' | 'moved_out';
  relationToHead: 'head' | 'spouse' | 'child' | 'parent' | 'grandchild';
}

export interface SyntheticHousehold {
  number: string;
  village: Village;
  address: string;
  members: SyntheticPerson[];
}

/** Generates households on real villages; ID numbers are unique within one generator. */
export class PopulationGenerator {
  private readonly sequences = new Map<string, number>();
  private readonly householdSerials = new Map<string, number>();

  constructor(
    private readonly rng: Prng,
    private readonly villages: readonly Village[],
    /** The day ages are counted to. */
    private readonly today: Date,
  ) {}

  /** A household of at most `maxSize` persons. */
  household(maxSize: number): SyntheticHousehold {
    const rng = this.rng;
    const village = rng.pick(this.villages);
    const serial = (this.householdSerials.get(village.code) ?? 0) + 1;
    this.householdSerials.set(village.code, serial);
    const size = Math.min(maxSize, rng.weighted(HOUSEHOLD_SIZES));
    const ethnicity = this.ethnicity(village.countyCode);
    const address = `湖南省永州市${village.countyName}${village.townshipName}${village.placeName}${rng.int(1, 300)}号`;

    const headAge = size === 1 ? this.age(20, 95) : this.age(24, 80);
    const headGender: Gender = rng.chance(0.78) ? 'male' : 'female';
    const surname = rng.weighted(SURNAMES);
    const members: SyntheticPerson[] = [];
    const add = (p: Omit<SyntheticPerson, 'idNumber' | 'birthDate' | 'name' | 'formerNames' | 'status' | 'ethnicity'>, family: string) => {
      const birthDate = this.birthDate(p.age);
      const person: SyntheticPerson = {
        ...p,
        birthDate,
        idNumber: this.idNumber(village, birthDate, p.gender),
        name: family + this.givenName(p.gender),
        formerNames: rng.chance(0.03) ? [family + this.givenName(p.gender)] : [],
        ethnicity: rng.chance(0.92) ? ethnicity : this.ethnicity(village.countyCode),
        status: rng.chance(0.01) ? 'deceased' : rng.chance(0.01) ? 'moved_out' : 'living',
      };
      members.push(person);
      return person;
    };

    const partnered = size > 1 && rng.chance(0.85);
    const single = (age: number) => (age >= 60 && rng.chance(0.5) ? 'widowed' : age >= 30 && rng.chance(0.2) ? 'divorced' : 'unmarried');
    add({ gender: headGender, age: headAge, maritalStatus: partnered ? 'married' : single(headAge), relationToHead: 'head' }, surname);
    let fatherSurname = headGender === 'male' ? surname : rng.weighted(SURNAMES);
    if (partnered) {
      const spouseAge = Math.max(20, headAge + rng.int(-6, 6));
      const spouseSurname = headGender === 'female' ? fatherSurname : rng.weighted(SURNAMES);
      if (headGender === 'female') fatherSurname = spouseSurname;
      add({ gender: headGender === 'male' ? 'female' : 'male', age: spouseAge, maritalStatus: 'married', relationToHead: 'spouse' }, spouseSurname);
    }
    while (members.length < size) {
      const room = members.length;
      if (room >= 4 && headAge < 70 && rng.chance(0.5)) {
        const age = Math.min(99, headAge + rng.int(22, 32));
        add({ gender: rng.chance(0.5) ? 'male' : 'female', age, maritalStatus: rng.chance(0.6) ? 'widowed' : 'married', relationToHead: 'parent' }, rng.weighted(SURNAMES));
      } else if (headAge >= 60 && room >= 3 && rng.chance(0.5)) {
        const gender: Gender = rng.chance(0.52) ? 'male' : 'female';
        add({ gender, age: this.age(0, Math.min(17, headAge - 42)), maritalStatus: 'unmarried', relationToHead: 'grandchild' }, fatherSurname);
      } else {
        const gender: Gender = rng.chance(0.52) ? 'male' : 'female';
        const age = this.age(Math.max(0, headAge - 40), Math.max(0, headAge - 20));
        add({ gender, age, maritalStatus: age >= 24 && rng.chance(0.4) ? 'married' : 'unmarried', relationToHead: 'child' }, fatherSurname);
      }
    }
    return { number: `${village.code}-${String(serial).padStart(4, '0')}`, village, address, members };
  }

  /** An age in [min, max] drawn from the census pyramid. */
  private age(min: number, max: number): number {
    const bands: [number, number][] = [];
    for (let b = 0; b < AGE_BANDS.length; b++) {
      const lo = Math.max(min, b * 5);
      const hi = Math.min(max, b * 5 + 4);
      if (hi >= lo) bands.push([b, (AGE_BANDS[b] * (hi - lo + 1)) / 5]);
    }
    if (!bands.length) return min;
    const band = this.rng.weighted(bands);
    return this.rng.int(Math.max(min, band * 5), Math.min(max, band * 5 + 4));
  }

  private birthDate(age: number): string {
    const day = new Date(this.today);
    day.setUTCFullYear(day.getUTCFullYear() - age - 1);
    day.setUTCDate(day.getUTCDate() + this.rng.int(1, 365));
    return day.toISOString().slice(0, 10);
  }

  private idNumber(village: Village, birthDate: string, gender: Gender): string {
    // One in twenty was registered elsewhere in Yongzhou when the number was assigned.
    const county = this.rng.chance(0.05) ? this.rng.pick(this.villages).countyCode : village.countyCode;
    const address = addressCodeAtBirth(county, birthDate);
    const key = `${address}${birthDate}${gender}`;
    const n = this.sequences.get(key) ?? this.rng.int(0, 100);
    if (n >= 499) throw new Error(`sequence numbers exhausted for ${key}`);
    this.sequences.set(key, n + 1);
    return makeIdNumber(address, birthDate, n * 2, gender);
  }

  private givenName(gender: Gender): string {
    const chars = gender === 'male' ? GIVEN_MALE : GIVEN_FEMALE;
    return this.rng.chance(0.3) ? this.rng.pick(chars) : this.rng.pick(chars) + this.rng.pick(chars);
  }

  private ethnicity(countyCode: string): string {
    // 江华瑶族自治县 is mostly Yao; 江永 has many Yao too.
    const yao = countyCode === '431129' ? 0.62 : countyCode === '431125' ? 0.3 : 0.015;
    if (this.rng.chance(yao)) return '瑶族';
    return this.rng.chance(0.98) ? '汉族' : this.rng.pick(MINORITIES);
  }
}
