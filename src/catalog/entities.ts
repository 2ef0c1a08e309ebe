import { EntitySchema } from '@mikro-orm/core';

/** A department registered with the hub (e.g. `civil-affairs`), identified by a short slug. */
export interface Department {
  code: string;
  name: string;
  nameEn: string;
  createdAt: Date;
}

export const DepartmentSchema = new EntitySchema<Department>({
  name: 'Department',
  tableName: 'department',
  properties: {
    code: { type: 'string', primary: true },
    name: { type: 'string' },
    nameEn: { type: 'string', fieldName: 'name_en' },
    createdAt: { type: 'Date', fieldName: 'created_at', onCreate: () => new Date() },
  },
});

/** Why data is asked for (e.g. `low-income-verification`), with the legal basis that allows it. */
export interface Purpose {
  code: string;
  name: string;
  legalBasis: string;
  createdAt: Date;
}

export const PurposeSchema = new EntitySchema<Purpose>({
  name: 'Purpose',
  tableName: 'purpose',
  properties: {
    code: { type: 'string', primary: true },
    name: { type: 'string' },
    legalBasis: { type: 'string', fieldName: 'legal_basis' },
    createdAt: { type: 'Date', fieldName: 'created_at', onCreate: () => new Date() },
  },
});

export const catalogEntities = [DepartmentSchema, PurposeSchema];
