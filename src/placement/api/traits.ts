import type { RouteTable } from '../../common/http/app.js';
import type { Placement } from '../context.js';

export function traitRoutes(_p: Placement): RouteTable {
  return {};
}
