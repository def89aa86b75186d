import { ApiProperty } from '@nestjs/swagger';

export class FetchedCredentialsResponse {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The decrypted provider credentials' })
  credentials: Record<string, unknown>;

  @ApiProperty({ type: [String], description: 'The capabilities the grant gives this instance' })
  capabilities: string[];

  @ApiProperty({ format: 'uuid' })
  connection_id: string;

  @ApiProperty()
  provider: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: ['oauth2', 'api_key', 'basic'] })
  auth_type: string;

  @ApiProperty({ enum: ['active', 'error', 'expired'], description: 'The connection\u2019s health; `error`: the last refresh failed but the token is still valid' })
  status: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  expires_at: string | null;
}
