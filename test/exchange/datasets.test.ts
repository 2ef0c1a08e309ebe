import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { compileRecordSchema, PROJECT_DIR } from '../../src/catalog/declaration.js';
import { loadDefinitions, mapRecord } from '../../src/exchange/index.js';
import { datasetContext, datasetSpec } from '../../src/simulate/departments/index.js';

/** Which simulated dataset feeds each shipped connector. */
const FEEDS: Record<string, string> = {
  'household-register': 'household-register', 'household-register-households': 'household-register', 'enterprise-register': 'enterprise-register', 'real-estate-registry': 'real-estate-units',
  'tax-income': 'tax-income', 'hrss-pension': 'hrss-pension', 'hrss-contribution': 'hrss-contribution', 'provident-fund': 'provident-fund',
  'vehicle-administration': 'vehicles', 'disabled-federation': 'disability-certificates', 'civil-affairs-marriage': 'marriages',
  'civil-affairs-assistance': 'assistance', 'health-medical-cost': 'medical-costs', 'grid-lengshuitan-components': 'grid-components',
  'grid-lingling-events': 'grid-events',
};
// Villages as the division table has them (a handful is enough for shapes).
const city = datasetContext(['431102001001', '431103001001', '431122100201', '431124100201', '431129100201', '431181100201'].map((code) => ({ code, countyCode: code.slice(0, 6) })));

describe.each(loadDefinitions().filter((d) => d.kind !== 'lookup'))('the simulated feed of $id', (definition) => {
  const spec = datasetSpec(FEEDS[definition.id]);
  const declaration = JSON.parse(readFileSync(path.join(PROJECT_DIR, 'catalog/resources', `${definition.resource}.json`), 'utf8'));
  const validate = compileRecordSchema(JSON.parse(readFileSync(path.join(PROJECT_DIR, declaration.recordSchema), 'utf8')));

  test('maps onto the record schema, record after record; a spoiled one is refused', () => {
    for (let i = 0; i < 300; i++) {
      const raw = spec.record(i, city);
      const mapped = mapRecord(raw, definition.mapping!);
      expect(mapped, `record ${i}`).toMatchObject({ ok: true });
      const ok = mapped.ok && validate(mapped.record);
      expect(ok, `record ${i}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(definition.key.every((k) => raw[k] !== undefined && raw[k] !== null)).toBe(true);
    }
    // The household feed reads the register's head rows but not the field the simulator spoils
    // (the person's gender): for it a spoiled person row is still a good household.
    const spoiled = mapRecord(spec.malform(spec.record(1, city)), definition.mapping!);
    expect(spoiled.ok && validate(spoiled.record)).toBe(definition.id === 'household-register-households');
  });

  test('keys are unique', () => {
    const keys = new Set(Array.from({ length: 2000 }, (_, i) => definition.key.map((k) => String(spec.record(i, city)[k])).join('|')));
    expect(keys.size).toBe(2000);
  });
});
