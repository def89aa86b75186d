import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../http/openapi-examples';

export class FetchedCredentialsResponse {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The decrypted provider credentials',
    example: { access_token: 'ya29…', refresh_token: '1//0g…', expires_in: 3599 },
  })
  credentials: Record<string, unknown>;

  @ApiProperty({ type: [String], description: 'The capabilities the grant gives this instance', example: ['send_mail'] })
  capabilities: string[];

  @ApiProperty({ format: 'uuid', example: EXAMPLE.connectionId })
  connection_id: string;

  @ApiProperty({ example: 'gmail' })
  provider: string;

  @ApiProperty({ example: 'admin@iqm.com.au' })
  name: string;

  @ApiProperty({ enum: ['oauth2', 'api_key', 'basic'], example: 'oauth2' })
  auth_type: string;

  @ApiProperty({ enum: ['active', 'error', 'expired'], example: 'active', description: 'The connection\u2019s health; `error`: the last refresh failed but the token is still valid' })
  status: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: EXAMPLE.expiresAt })
  expires_at: string | null;
}
