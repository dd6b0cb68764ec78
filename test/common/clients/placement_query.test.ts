// The query strings the Placement client writes, as Placement reads them.
import { expect, it } from 'vitest';
import { allocationCandidatesQuery } from '../../../src/common/clients/placement/index.js';

const decoded = (q: string) => [...new URLSearchParams(q.slice(1))].map(([k, v]) => `${k}=${v}`);

it("writes a flavor's request groups as Nova's scheduler does", () => {
  expect(
    decoded(
      allocationCandidatesQuery({
        group: {
          resources: { VCPU: 1, MEMORY_MB: 1024, DISK_GB: 1 },
          required: ['HW_CPU_X86_AVX', '!CUSTOM_SLOW'],
          anyOf: [['CUSTOM_A', 'CUSTOM_B']],
          memberOf: [['agg1', 'agg2'], ['agg3']],
          forbidden: ['agg9'],
        },
        groups: {
          _NIC: { resources: { NET_BW_EGR_KILOBIT_PER_SEC: 1000 }, required: ['CUSTOM_PHYSNET_A'], in_tree: 'rp1' },
        },
        group_policy: 'isolate',
        limit: 10,
        root_required: ['COMPUTE_STATUS_DISABLED'].map((t) => `!${t}`),
        same_subtree: [['_NIC', '']],
      }),
    ),
  ).toEqual([
    'resources=VCPU:1,MEMORY_MB:1024,DISK_GB:1',
    'required=HW_CPU_X86_AVX,!CUSTOM_SLOW',
    'required=in:CUSTOM_A,CUSTOM_B',
    'member_of=in:agg1,agg2',
    'member_of=agg3',
    'member_of=!in:agg9',
    'resources_NIC=NET_BW_EGR_KILOBIT_PER_SEC:1000',
    'required_NIC=CUSTOM_PHYSNET_A',
    'in_tree_NIC=rp1',
    'group_policy=isolate',
    'limit=10',
    'root_required=!COMPUTE_STATUS_DISABLED',
    'same_subtree=_NIC,',
  ]);
  expect(allocationCandidatesQuery({ group: { resources: { CUSTOM_GOLD: 1 } } })).toBe('?resources=CUSTOM_GOLD%3A1');
});
