import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlacement } from '../helpers/placement.js';
import { postgresUnavailable, startPostgres, type PgCluster } from '../helpers/postgres.js';

const skipPg = postgresUnavailable();

describe('database engines', () => {
  it('SQLite: migrates and seeds standard data', async () => {
    const t = await startPlacement();
    const r = await t.call('GET', '/traits?name=startswith:HW_CPU_X86_AVX');
    expect(r.status === 200 || r.status === 404).toBe(true);
    const rcs = await t.placement.db.selectFrom('resource_classes').select('name').execute();
    expect(rcs.map((x) => x.name)).toContain('VCPU');
    await t.close();
  });

  describe.skipIf(skipPg)(`PostgreSQL${skipPg ? ` (skipped: ${skipPg})` : ''}`, () => {
    let pg: PgCluster;
    beforeAll(async () => {
      pg = await startPostgres();
    });
    afterAll(() => pg?.stop());

    it('migrates, seeds, and a second start on the same database is idempotent', async () => {
      const url = await pg.createDatabase('db_engine_test');
      const a = await startPlacement({ databaseUrl: url });
      expect(a.placement.engine).toBe('postgres');
      const n1 = await a.placement.db
        .selectFrom('traits')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst();
      await a.close();
      const b = await startPlacement({ databaseUrl: url });
      const n2 = await b.placement.db
        .selectFrom('traits')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst();
      expect(Number(n2?.n)).toBe(Number(n1?.n));
      expect(Number(n1?.n)).toBeGreaterThan(300);
      const put = await b.call('PUT', '/resource_classes/CUSTOM_PG');
      expect(put.status).toBe(201);
      await b.close();
    });
  });
});
