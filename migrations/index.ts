import { Initial1795615845273 } from './1795615845273-Initial';

/** Every migration, in order. `npm run migration:generate` appends new ones here. */
export const MIGRATIONS: Function[] = [Initial1795615845273];
