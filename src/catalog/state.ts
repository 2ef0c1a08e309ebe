import pg from 'pg';
import type { Grant, PolicySource, ResourcePolicy } from '../access/index.js';
import type { Logger } from '../log.js';
import type { ResourceDeclaration } from './declaration.js';
import { CATALOG_CHANNEL } from './resources.js';

/**
 * The catalogue as the access policy sees it: current resources and unrevoked grants, held in
 * memory so that a field decision never queries the database. Every change is announced on
 * `huitong_catalog` (NOTIFY, sent at commit), and every hub instance listening reloads; the
 * instance that made the change reloads before answering, so its effect is immediate.
 */
export class CatalogState implements PolicySource {
  private resources = new Map<string, ResourcePolicy>();
  private grantsByKey = new Map<string, Grant[]>();
  private listener: pg.Client | null = null;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  resource(code: string): ResourcePolicy | undefined {
    return this.resources.get(code);
  }

  grants(department: string, resource: string): readonly Grant[] {
    return this.grantsByKey.get(`${department}\u0000${resource}`) ?? [];
  }

  /** Reloads from the database; a call during a load waits for it and loads again, so no change is missed. */
  reload(): Promise<void> {
    if (this.loading) return this.loading.then(() => this.reload());
    this.loading = this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const [resources, grants] = await Promise.all([
      this.pool.query<{ code: string; declaration: ResourceDeclaration }>('select code, declaration from catalog_resource where retired_at is null'),
      this.pool.query<Grant>(
        `select id::text, resource, consumer, purpose, fields, valid_from as "validFrom", valid_until as "validUntil", false as revoked
         from access_grant where revoked_at is null and valid_until >= current_date - 1`,
      ),
    ]);
    this.resources = new Map(
      resources.rows.map(({ code, declaration: d }) => [
        code,
        {
          code,
          provider: d.provider,
          sharing: d.sharing.type,
          items: new Map(d.items.map((i) => [i.name, { sensitivity: i.sensitivity, mask: i.mask }])),
        },
      ]),
    );
    const byKey = new Map<string, Grant[]>();
    for (const g of grants.rows) {
      const key = `${g.consumer}\u0000${g.resource}`;
      byKey.set(key, [...(byKey.get(key) ?? []), g]);
    }
    this.grantsByKey = byKey;
  }

  /** Loads, then listens for changes made by any instance. */
  async start(databaseUrl: string): Promise<void> {
    await this.reload();
    const client = new pg.Client(databaseUrl);
    client.on('error', (err) => this.logger.warn({ err }, 'catalogue listener failed; changes from other instances are not seen'));
    client.on('notification', () => {
      this.reload().catch((err) => this.logger.error({ err }, 'catalogue reload failed'));
    });
    await client.connect();
    await client.query(`listen ${CATALOG_CHANNEL}`);
    this.listener = client;
  }

  async stop(): Promise<void> {
    await this.listener?.end().catch(() => {});
    this.listener = null;
  }
}
