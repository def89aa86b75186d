import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, ValidateIf } from 'class-validator';
import { EXAMPLE } from '../../http/openapi-examples';

export class CreateApiKeyRequest {
  @ApiPropertyOptional({ type: 'string', minLength: 1, maxLength: 255, example: 'ci pipeline', nullable: true })
  @ValidateIf((_object, value) => value !== undefined && value !== null)
  @IsString()
  @Length(1, 255)
  name?: string | null;
}

export class ApiKeyResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.apiKeyId })
  id: string;

  @ApiProperty({ type: 'string', nullable: true, example: 'ci pipeline' })
  name: string | null;

  @ApiProperty({ description: 'The first characters of the key, to tell keys apart', example: 'hck_3fZq9xKd' })
  prefix: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  created_at: string;

  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, example: EXAMPLE.usedAt })
  last_used_at: string | null;
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'The key itself: shown this once, stored only as a hash', example: 'hck_3fZq9xKdR2mW8vT1yB6nC4pL0sJ7hG5eA9uQ2iO8kEw' })
  key: string;
}

export class ApiKeyListResponse {
  @ApiProperty({ type: [ApiKeyResponse] })
  api_keys: ApiKeyResponse[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;
}
