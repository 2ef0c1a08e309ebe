import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * China's working-day calendar: Monday to Friday, less the public holidays, plus the make-up
 * working days (调休, usually a Saturday or Sunday) of the State Council's yearly notice
 * (国务院办公厅关于部分节假日安排的通知).
 *
 * The yearly arrangements come from the `chinese-days` package (maintained; a new year arrives
 * each November, when the notice is published: `npm install --save-exact chinese-days@latest`),
 * and from `catalog/calendar.json` when present, in the same form, for a year the package does not
 * have yet: `{ "holidays": { "2027-01-01": "元旦" }, "workdays": { "2027-02-20": "春节调休" } }`.
 * For a year neither knows, the statutory holidays of 《全国年节及纪念日放假办法》 (2025 revision)
 * are computed (New Year's Day, the Spring Festival's eve and first three days, Qingming, 1–2 May,
 * the Dragon Boat and Mid-Autumn festivals, 1–3 October); its make-up days cannot be known.
 */

interface CalendarData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

interface LunarCalendar {
  getSolarDateFromLunar(lunar: string): { date: string };
  getSolarTermDate(year: number, month: number, term: 'pure_brightness'): string;
}

const require = createRequire(import.meta.url);

interface Calendar {
  holidays: Set<string>;
  workdays: Set<string>;
  /** Years whose arrangements were published (holidays, bridges and make-up days all known). */
  published: Set<number>;
}

let calendar: Calendar | null = null;

/** `catalog/calendar.json`, if any. (Default location; tests may pass another) */
export const CALENDAR_FILE = path.resolve(import.meta.dirname, '../../catalog/calendar.json');

function loadCalendar(file = CALENDAR_FILE): Calendar {
  const sources: CalendarData[] = [require('chinese-days/dist/chinese-days.json') as CalendarData];
  if (existsSync(file)) sources.push(JSON.parse(readFileSync(file, 'utf8')) as CalendarData);
  const holidays = new Set<string>();
  const workdays = new Set<string>();
  const published = new Set<number>();
  for (const source of sources) {
    for (const day of Object.keys(source.holidays ?? {})) {
      holidays.add(day);
      published.add(Number(day.slice(0, 4)));
    }
    for (const day of Object.keys(source.workdays ?? {})) workdays.add(day);
  }
  return { holidays, workdays, published };
}

/** Reads the calendar again (after `catalog/calendar.json` changed, or from another file in tests). */
export function reloadCalendar(file?: string): void {
  calendar = loadCalendar(file);
}

const statutory = new Map<number, Set<string>>();

/** The statutory public holidays of a year, for a year whose arrangements are not published. */
function statutoryHolidays(year: number): Set<string> {
  let days = statutory.get(year);
  if (days) return days;
  const lunar = require('chinese-days') as LunarCalendar;
  const shift = (iso: string, by: number) => {
    const d = new Date(`${iso}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + by);
    return d.toISOString().slice(0, 10);
  };
  const springFestival = lunar.getSolarDateFromLunar(`${year}-01-01`).date;
  days = new Set([
    `${year}-01-01`,
    shift(springFestival, -1), springFestival, shift(springFestival, 1), shift(springFestival, 2),
    lunar.getSolarTermDate(year, 4, 'pure_brightness'),
    `${year}-05-01`, `${year}-05-02`,
    lunar.getSolarDateFromLunar(`${year}-05-05`).date,
    lunar.getSolarDateFromLunar(`${year}-08-15`).date,
    `${year}-10-01`, `${year}-10-02`, `${year}-10-03`,
  ]);
  statutory.set(year, days);
  return days;
}

/** Whether the calendar holds the State Council's published arrangements for `year`. */
export function calendarPublished(year: number): boolean {
  calendar ??= loadCalendar();
  return calendar.published.has(year);
}

/** Whether `day` (`YYYY-MM-DD`) is a working day in China. */
export function isWorkingDay(day: string): boolean {
  calendar ??= loadCalendar();
  if (calendar.workdays.has(day)) return true;
  if (calendar.holidays.has(day)) return false;
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  const year = Number(day.slice(0, 4));
  return calendar.published.has(year) || !statutoryHolidays(year).has(day);
}

/**
 * The day a decision is due: `n` working days after `from` (`YYYY-MM-DD`), counting neither
 * public holidays nor weekends, and counting the make-up working days.
 */
export function addWorkingDays(from: string, n: number): string {
  const day = new Date(`${from}T00:00:00Z`);
  let left = n;
  while (left > 0) {
    day.setUTCDate(day.getUTCDate() + 1);
    if (isWorkingDay(day.toISOString().slice(0, 10))) left -= 1;
  }
  return day.toISOString().slice(0, 10);
}

/** Working days a provider has to answer an access request (国发〔2016〕51号 and provincial rules). */
export const DECISION_WORKING_DAYS = 10;
