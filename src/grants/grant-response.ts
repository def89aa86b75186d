import type { GrantResponse } from './dto/grant.dto';
import type { Grant } from './grant.entity';

/** A grant as the API shows it; connections embed the same. */
export function grantResponse(grant: Grant): GrantResponse {
  return {
    id: grant.id,
    connection_id: grant.connectionId,
    instance_id: grant.instanceId,
    capabilities: grant.capabilities,
    granted_at: grant.grantedAt.toISOString(),
  };
}
