import pg from 'pg';
import { newDecisionBook, type DecisionBook, type Grant, type PolicySource, type ResourcePolicy } from '../access/index.js';
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
  private declared = new Map<string, { declaration: ResourceDeclaration; version: number }>();
  private readonly reloaded: (() => void)[] = [];
  private grantsByKey = new Map<string, Grant[]>();
  /** Field decisions by asker, made from the resources and grants loaded now (dropped with them). */
  private books = new Map<string, DecisionBook>();
  private listener: pg.Client | null = null;
  private loading: Promise<void> | null = null;
  private databaseUrl = '';
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  resource(code: string): ResourcePolicy | undefined {
    return this.resources.get(code);
  }

  /** Current (unretired) declarations with their versions, as last loaded. */
  declarations(): ReadonlyMap<string, { declaration: ResourceDeclaration; version: number }> {
    return this.declared;
  }

  /** Calls `listener` after every reload (the schema generated from the catalogue follows it). */
  onReload(listener: () => void): void {
    this.reloaded.push(listener);
  }

  grants(department: string, resource: string): readonly Grant[] {
    return this.grantsByKey.get(`${department}\u0000${resource}`) ?? [];
  }

  decisionBook(asker: string): DecisionBook {
    let book = this.books.get(asker);
    if (!book) {
      // Askers are departments × purposes × days: bounded in practice, capped here all the same.
      if (this.books.size >= MAX_BOOKS) this.books.clear();
      this.books.set(asker, (book = newDecisionBook()));
    }
    return book;
  }

  /** Reloads from the database; a call during a load waits for it and loads again, so no change is missed. */
  reload(): Promise<void> {
    if (this.loading) return this.loading.then(() => this.reload());
    this.loading = this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** Loads completed, for the `/metrics` page. */
  reloads = 0;

  private async load(): Promise<void> {
    this.reloads += 1;
    const [resources, grants] = await Promise.all([
      this.pool.query<{ code: string; declaration: ResourceDeclaration; version: number }>('select code, declaration, version from catalog_resource where retired_at is null'),
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
    this.books = new Map();
    this.declared = new Map(resources.rows.map((r) => [r.code, { declaration: r.declaration, version: r.version }]));
    for (const listener of this.reloaded) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'a catalogue reload listener failed');
      }
    }
  }

  /** Loads, then listens for changes made by any instance. */
  async start(databaseUrl: string): Promise<void> {
    this.databaseUrl = databaseUrl;
    this.stopped = false;
    await this.reload();
    await this.listen();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl, application_name: LISTENER_NAME });
    client.on('error', (err) => this.logger.warn({ err }, 'catalogue listener failed'));
    client.on('notification', () => {
      this.reload().catch((err) => this.logger.error({ err }, 'catalogue reload failed'));
    });
    client.on('end', () => {
      if (this.listener !== client) return;
      this.listener = null;
      if (!this.stopped) this.reconnect(RECONNECT_FIRST_MS);
    });
    await client.connect();
    await client.query(`listen ${CATALOG_CHANNEL}`);
    this.listener = client;
  }

  /**
   * A lost listener would leave this instance deciding on stale grants (a revocation made through
   * another instance unseen), so it reconnects with backoff and reloads what it may have missed.
   */
  private reconnect(delayMs: number): void {
    this.logger.warn({ delayMs }, 'catalogue listener lost; reconnecting');
    setTimeout(() => {
      if (this.stopped) return;
      this.listen()
        .then(() => this.reload())
        .catch((err) => {
          this.logger.error({ err }, 'catalogue listener reconnect failed');
          if (!this.stopped && !this.listener) this.reconnect(Math.min(delayMs * 2, RECONNECT_MAX_MS));
        });
    }, delayMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
  }
}

/** `application_name` of the listening connection, as `pg_stat_activity` shows it. */
export const LISTENER_NAME = 'huitong-catalog-listener';
const RECONNECT_FIRST_MS = 200;
const RECONNECT_MAX_MS = 30_000;
const MAX_BOOKS = 1000;
