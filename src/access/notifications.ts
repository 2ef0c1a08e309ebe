import pg from 'pg';
import type { Logger } from '../log.js';

export const REGISTERS_CHANNEL = 'huitong_registers';

/**
 * Listens on its own connection for `huitong_registers` notifications (the changed table's name)
 * and calls `onChange`; reconnects after a second if the connection drops, and calls `onChange`
 * for every table then, since changes may have been missed meanwhile.
 */
export async function listenForRegisterChanges(
  url: string,
  onChange: (table: string) => void,
  logger: Logger,
): Promise<{ close(): Promise<void> }> {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;
  const reconnectSoon = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect(true);
    }, 1_000);
  };

  const connect = async (afterDrop: boolean): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => onChange(message.payload ?? ''));
    next.on('error', (err) => {
      logger.warn({ err }, 'register notifications: connection lost; reconnecting');
      next.end().catch(() => {});
      reconnectSoon();
    });
    try {
      await next.connect();
      await next.query(`listen ${REGISTERS_CHANNEL}`);
      client = next;
      if (afterDrop) for (const table of ['department', 'purpose', 'system_key']) onChange(table);
    } catch (err) {
      next.end().catch(() => {});
      logger.warn({ err }, 'register notifications: cannot listen; retrying');
      reconnectSoon();
    }
  };
  await connect(false);

  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
