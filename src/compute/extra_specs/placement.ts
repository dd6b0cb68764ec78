// Extra specs that become Placement queries: resources[N]:<class> = amount, trait[N]:<trait> =
// required|forbidden, group_policy (nova/api/validation/extra_specs/resources.py, traits.py,
// null.py). The standard classes and traits are those of os-resource-classes and os-traits, the
// libraries Nova and Placement share.
import STANDARD_CLASSES from '../../placement/data/standard-resource-classes.json' with { type: 'json' };
import STANDARD_TRAITS from '../../placement/data/standard-traits.json' with { type: 'json' };
import type { ExtraSpecDefinition } from './validator.js';

/** A request group's suffix: none (the unnumbered group) or up to 64 characters. */
const GROUP = '([a-zA-Z0-9_-]{1,64})?';

const resource = (rc: string): ExtraSpecDefinition => ({
  name: `resources{group}:${rc}`,
  parameters: { group: GROUP, resource: '[A-Z0-9_]+' },
  value: { type: 'int' },
});
const trait = (name: string): ExtraSpecDefinition => ({
  name: `trait{group}:${name}`,
  parameters: { group: GROUP, trait: '[A-Z0-9_]+' },
  value: { type: 'str', enum: ['required', 'forbidden'] },
});

export const PLACEMENT_SPECS: readonly ExtraSpecDefinition[] = [
  ...STANDARD_CLASSES.map(resource),
  resource('CUSTOM_{resource}'),
  ...STANDARD_TRAITS.map(trait),
  trait('CUSTOM_{trait}'),
  { name: 'group_policy', value: { type: 'str', enum: ['isolate', 'none'] } },
];
