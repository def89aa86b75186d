import { Initial1795616203358 } from './1795616203358-Initial';
import { AddConnectionCounts1795617858694 } from './1795617858694-AddConnectionCounts';
import { ConnectionsFillfactor1795620099313 } from './1795620099313-ConnectionsFillfactor';
import { ConnectionJson1796151206399 } from './1796151206399-ConnectionJson';
import { ConnectionListVersions1796151646166 } from './1796151646166-ConnectionListVersions';
import { GrantsProvider1796160000000 } from './1796160000000-GrantsProvider';
import { ConnectionLastUses1796240840911 } from './1796240840911-ConnectionLastUses';
import { ConnectionEvents1796500000000 } from './1796500000000-ConnectionEvents';
import { OAuthRefresh1796500000001 } from './1796500000001-OAuthRefresh';
import { AuditEvents1796530000000 } from './1796530000000-AuditEvents';
import { Webhooks1796540000000 } from './1796540000000-Webhooks';

/** Every migration, in order. `npm run migration:generate` appends new ones here. */
export const MIGRATIONS: Function[] = [Initial1795616203358, AddConnectionCounts1795617858694, ConnectionsFillfactor1795620099313, ConnectionJson1796151206399, ConnectionListVersions1796151646166, GrantsProvider1796160000000, ConnectionLastUses1796240840911, ConnectionEvents1796500000000, OAuthRefresh1796500000001, AuditEvents1796530000000, Webhooks1796540000000];
