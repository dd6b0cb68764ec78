import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlacement, type TestPlacement } from '../helpers/placement.js';

describe('resource classes', () => {
  let t: TestPlacement;
  beforeAll(async () => {
    t = await startPlacement();
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the standard classes', async () => {
    const r = await t.call('GET', '/resource_classes');
    expect(r.status).toBe(200);
    const names = r.body.resource_classes.map((c: { name: string }) => c.name);
    expect(names).toContain('VCPU');
    expect(names).toContain('PCPU');
  });

  it('creates a custom class with PUT (1.7+) and is idempotent', async () => {
    expect((await t.call('PUT', '/resource_classes/CUSTOM_GOLD')).status).toBe(201);
    expect((await t.call('PUT', '/resource_classes/CUSTOM_GOLD')).status).toBe(204);
    expect((await t.call('GET', '/resource_classes/CUSTOM_GOLD')).body.name).toBe('CUSTOM_GOLD');
  });

  it('refuses a standard or malformed class name with 400 and changes nothing', async () => {
    const bad = await t.call('PUT', '/resource_classes/GOLD');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].detail).toContain('does not match');
    expect((await t.call('GET', '/resource_classes/GOLD')).status).toBe(404);
    expect((await t.call('DELETE', '/resource_classes/VCPU')).status).toBe(400);
  });
});
