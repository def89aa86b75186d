import { Initial1795616203358 } from './1795616203358-Initial';

/** Every migration, in order. `npm run migration:generate` appends new ones here. */
export const MIGRATIONS: Function[] = [Initial1795616203358];
