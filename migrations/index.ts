import { Initial1795616203358 } from './1795616203358-Initial';
import { AddConnectionCounts1795617858694 } from './1795617858694-AddConnectionCounts';
import { ConnectionsFillfactor1795620099313 } from './1795620099313-ConnectionsFillfactor';

/** Every migration, in order. `npm run migration:generate` appends new ones here. */
export const MIGRATIONS: Function[] = [Initial1795616203358, AddConnectionCounts1795617858694, ConnectionsFillfactor1795620099313];
