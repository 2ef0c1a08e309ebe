import { expect, test } from 'vitest';
import { readConfig } from '../../src/config.js';

/** Verification's own financial client is gone; its variables must not pass for configuration. */
test.each([
  ['HUITONG_FINANCIAL_URL', 'http://bank.example', /FINANCIAL_INSTITUTIONS_URL/],
  ['HUITONG_LOOKUP_TIMEOUT_MS', '500', /source\.timeoutMs/],
])('%s is refused with what to set instead', (name, value, instead) => {
  expect(() => readConfig({ [name]: value })).toThrow(instead);
});
