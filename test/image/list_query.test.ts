// The reading of GET /v2/images query strings on its own: operators, quoted lists, timestamps,
// both sorting syntaxes and their defaults.
import { describe, expect, it } from 'vitest';
import { parseIsoTime, parseListQuery, splitFilterOp, splitFilterValues } from '../../src/image/objects/list_query.js';

const q = (s: string) => parseListQuery([...new URLSearchParams(s).entries()]);

describe('image list query', () => {
  it('splits operators as Glance does, leaving bare timestamps whole', () => {
    expect(splitFilterOp('in:a,b')).toEqual(['in', 'a,b']);
    expect(splitFilterOp('plain')).toEqual(['eq', 'plain']);
    expect(splitFilterOp('2024-01-01T10:00:00Z')).toEqual(['eq', '2024-01-01T10:00:00Z']);
    expect(splitFilterOp('gte:2024-01-01T10:00:00Z')).toEqual(['gte', '2024-01-01T10:00:00Z']);
    expect(splitFilterValues('a,"b,c",d')).toEqual(['a', 'b,c', 'd']);
    expect(() => splitFilterValues('"open')).toThrow(/quote is not closed/);
  });

  it('reads ISO 8601 times as UTC unless they say otherwise', () => {
    expect(parseIsoTime('2024-01-01')).toBe('2024-01-01T00:00:00.000Z');
    expect(parseIsoTime('2024-01-01T10:00:00')).toBe('2024-01-01T10:00:00.000Z');
    expect(parseIsoTime('2024-01-01T10:00:00+02:00')).toBe('2024-01-01T08:00:00.000Z');
    expect(parseIsoTime('2024-13-01')).toBeNull();
    expect(parseIsoTime('yesterday')).toBeNull();
  });

  it('defaults to 25 newest first, ending every order with created_at and id', () => {
    expect(q('')).toMatchObject({
      limit: 25,
      sortKeys: ['created_at', 'id'],
      sortDirs: ['desc', 'desc'],
      memberStatus: 'accepted',
      osHidden: false,
      tags: [],
      conditions: [],
    });
    expect(q('limit=5000').limit).toBe(1000);
    expect(q('sort=name:asc,size').sortKeys).toEqual(['name', 'size', 'created_at', 'id']);
    expect(q('sort=name:asc,size').sortDirs).toEqual(['asc', 'desc', 'desc', 'desc']);
    expect(q('sort_key=name&sort_dir=asc&sort_key=size').sortDirs).toEqual(['asc', 'asc', 'asc', 'asc']);
  });

  it('turns everything else into conditions', () => {
    expect(q('name=in:a,b&size_min=5&protected=true&os_distro=cirros&tag=x&tag=y').conditions).toEqual([
      { kind: 'in', attr: 'name', values: ['a', 'b'] },
      { kind: 'compare', attr: 'size', op: '>=', value: 5 },
      { kind: 'compare', attr: 'protected', op: '=', value: 1 },
      { kind: 'property', name: 'os_distro', value: 'cirros' },
    ]);
    expect(q('tag=x&tag=y').tags).toEqual(['x', 'y']);
    expect(q('min_ram=abc').conditions).toEqual([{ kind: 'never' }]);
    expect(q('deleted=true').conditions).toEqual([]);
  });
});
