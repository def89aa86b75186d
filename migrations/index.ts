import { Initial1795616203358 } from './1795616203358-Initial';
import { AddConnectionCounts1795617858694 } from './1795617858694-AddConnectionCounts';

/** Every migration, in order. `npm run migration:generate` appends new ones here. */
export const MIGRATIONS: Function[] = [Initial1795616203358, AddConnectionCounts1795617858694];
