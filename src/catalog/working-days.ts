/**
 * The day a decision is due: `n` working days (Monday to Friday) after `from` (`YYYY-MM-DD`).
 * Public holidays and the make-up working weekends (调休) of the State Council's yearly notice are
 * not counted: a documented simplification, which makes some deadlines fall a few days early.
 */
export function addWorkingDays(from: string, n: number): string {
  const day = new Date(`${from}T00:00:00Z`);
  let left = n;
  while (left > 0) {
    day.setUTCDate(day.getUTCDate() + 1);
    const weekday = day.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  return day.toISOString().slice(0, 10);
}

/** Working days a provider has to answer an access request (国发〔2016〕51号 and provincial rules). */
export const DECISION_WORKING_DAYS = 10;
