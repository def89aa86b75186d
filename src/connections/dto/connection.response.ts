import { ApiProperty } from '@nestjs/swagger';
import { GrantResponse } from '../../grants/dto/grant.dto';
import { AUTH_TYPES, type JsonObject } from '../connection.entity';
import { EXAMPLE } from '../../http/openapi-examples';

/** A connection as `/v1` shows it: never its credentials. */
export class ConnectionResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.connectionId })
  id: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.customerId })
  customer_id: string;

  @ApiProperty({ example: 'gmail' })
  provider: string;

  @ApiProperty({ example: 'admin@iqm.com.au' })
  name: string;

  @ApiProperty({ enum: AUTH_TYPES, example: 'oauth2' })
  auth_type: string;

  @ApiProperty({ example: 'active' })
  status: string;

  @ApiProperty({ type: 'string', nullable: true, example: null })
  error_message: string | null;

  @ApiProperty({ type: [String], example: ['https://www.googleapis.com/auth/gmail.send'] })
  scopes: string[];

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { team: 'rostering' } })
  metadata_json: JsonObject | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: EXAMPLE.expiresAt })
  expires_at: string | null;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: EXAMPLE.usedAt })
  last_used_at: string | null;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  updated_at: string;

  @ApiProperty({ type: [GrantResponse] })
  grants: GrantResponse[];
}

export class ConnectionListResponse {
  @ApiProperty({ type: [ConnectionResponse] })
  connections: ConnectionResponse[];

  @ApiProperty({ type: 'integer', description: 'All matching connections, whatever the page', example: 1 })
  total: number;
}
