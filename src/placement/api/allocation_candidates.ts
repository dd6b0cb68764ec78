import type { RouteTable } from '../../common/http/app.js';
import type { Placement } from '../context.js';

export function allocationCandidateRoutes(_p: Placement): RouteTable {
  return {};
}
