// Flavor extra specs as Nova validates them from microversion 2.86: every spec Nova's own
// validators know (VMware's vmware: specs excepted, which concord has no driver for).
import { HW_SPECS } from './hw.js';
import { OTHER_SPECS } from './other.js';
import { PLACEMENT_SPECS } from './placement.js';
import { ExtraSpecValidators } from './validator.js';

export const EXTRA_SPEC_VALIDATORS = new ExtraSpecValidators([...PLACEMENT_SPECS, ...HW_SPECS, ...OTHER_SPECS]);
