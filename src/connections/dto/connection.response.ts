import { ApiProperty } from '@nestjs/swagger';
import { GrantResponse } from '../../grants/dto/grant.dto';
import { AUTH_TYPES, type JsonObject } from '../connection.entity';

/** A connection as `/v1` shows it: never its credentials. */
export class ConnectionResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  customer_id: string;

  @ApiProperty()
  provider: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: AUTH_TYPES })
  auth_type: string;

  @ApiProperty({ example: 'active' })
  status: string;

  @ApiProperty({ type: 'string', nullable: true })
  error_message: string | null;

  @ApiProperty({ type: [String] })
  scopes: string[];

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  metadata_json: JsonObject | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  expires_at: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  last_used_at: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;

  @ApiProperty({ type: [GrantResponse] })
  grants: GrantResponse[];
}

export class ConnectionListResponse {
  @ApiProperty({ type: [ConnectionResponse] })
  connections: ConnectionResponse[];

  @ApiProperty({ type: 'integer', description: 'All matching connections, whatever the page' })
  total: number;
}
