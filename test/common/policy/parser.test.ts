import { describe, expect, it } from 'vitest';
import { parseCheck } from '../../../src/common/policy/index.js';
import { checkToString } from '../../../src/common/policy/parser.js';

const shape = (text: string) => {
  const { check, errors } = parseCheck(text);
  expect(errors).toEqual([]);
  return checkToString(check);
};

describe('check string parser', () => {
  it('binds not tighter than and, and tighter than or', () => {
    expect(shape('role:a or role:b and role:c')).toBe('(role:a or (role:b and role:c))');
    expect(shape('role:a and role:b or role:c')).toBe('((role:a and role:b) or role:c)');
    expect(shape('not role:a and role:b')).toBe('(not role:a and role:b)');
    expect(shape('role:a or not role:b and role:c')).toBe('(role:a or (not role:b and role:c))');
    expect(shape('role:a and role:b and role:c or role:d or role:e')).toBe(
      '((role:a and role:b and role:c) or role:d or role:e)',
    );
  });

  it('groups with parentheses, also glued to checks whose match has its own', () => {
    expect(shape('(role:a or role:b) and role:c')).toBe('((role:a or role:b) and role:c)');
    expect(shape('not (role:a or role:b)')).toBe('not (role:a or role:b)');
    expect(shape('((project_id:%(project_id)s))')).toBe('project_id:%(project_id)s');
    expect(shape('(role:reader and project_id:%(project_id)s) or rule:x')).toBe(
      '((role:reader and project_id:%(project_id)s) or rule:x)',
    );
  });

  it('takes operators in any case, and @, ! and the empty string', () => {
    expect(shape('role:a AND NOT role:b Or role:c')).toBe('((role:a and not role:b) or role:c)');
    expect(shape('@')).toBe('@');
    expect(shape('!')).toBe('!');
    expect(shape('')).toBe('@');
    expect(shape('  ')).toBe('@');
  });

  it('keeps the whole match after the first colon', () => {
    expect(shape('role:compute:admin')).toBe('role:compute:admin');
    expect(shape('token.project.domain.id:%(target.domain.id)s')).toBe('token.project.domain.id:%(target.domain.id)s');
  });

  it.each([
    ['role:a or', /end of rule/],
    ['and role:a', /"and"/],
    ['(role:a or role:b', /missing "\)"/],
    ['role:a) or role:b', /unexpected "\)"/],
    ['()', /unexpected "\)"/],
    ['role:a role:b', /unexpected "role:b"/],
    ['"role:a"', /unexpected quoted string "role:a"/],
    ['admin or role:a', /"admin" is not a check/],
    ['not nonsense', /"nonsense" is not a check/],
    ['http://example.com/check', /not supported/],
  ])('rejects %j, and the rule then denies', (text, why) => {
    const { check, errors } = parseCheck(text);
    expect(errors.join('; ')).toMatch(why);
    expect(check).toEqual({ type: 'false' });
  });
});
