import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsObject, IsOptional, IsString, Length, ValidateIf } from 'class-validator';
import { FreeFormObject } from '../../http/free-form';
import { MaxJsonSize } from '../../http/json-size';
import { PageQuery } from '../../http/pagination';
import { AUTH_TYPES, type AuthType, type JsonObject } from '../connection.entity';

const CREDENTIALS_MAX_BYTES = 64 * 1024;
const METADATA_MAX_BYTES = 16 * 1024;
export const MAX_SCOPES = 500;
export const MAX_SCOPE_LENGTH = 1000;

/** Present means not null: optional fields of a PATCH that may be left out but not cleared. */
const unlessAbsent = ValidateIf((_object, value) => value !== undefined);

export class CreateConnectionRequest {
  @ApiProperty({ minLength: 1, maxLength: 50, description: 'gmail, xero, google_calendar, deputy, etc.', example: 'gmail' })
  @IsDefined()
  @IsString()
  @Length(1, 50)
  provider: string;

  @ApiProperty({ minLength: 1, maxLength: 255, description: 'admin@iqm.com.au, IQM Master Roster, etc.', example: 'admin@iqm.com.au' })
  @IsDefined()
  @IsString()
  @Length(1, 255)
  name: string;

  @ApiPropertyOptional({ enum: AUTH_TYPES, default: 'oauth2', example: 'oauth2' })
  @unlessAbsent
  @IsIn(AUTH_TYPES)
  auth_type: AuthType = 'oauth2';

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Provider credentials (stored encrypted, never shown again). At most 64 KiB as JSON.',
    example: { access_token: 'ya29…', refresh_token: '1//0g…', expires_in: 3599 },
  })
  @IsDefined()
  @IsObject()
  @MaxJsonSize(CREDENTIALS_MAX_BYTES)
  @FreeFormObject()
  credentials: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String], default: [], maxItems: MAX_SCOPES, example: ['https://www.googleapis.com/auth/gmail.send'] })
  @unlessAbsent
  @IsArray()
  @ArrayMaxSize(MAX_SCOPES)
  @IsString({ each: true })
  @Length(1, MAX_SCOPE_LENGTH, { each: true })
  scopes: string[] = [];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'At most 16 KiB as JSON.', example: { team: 'rostering' } })
  @IsOptional()
  @IsObject()
  @MaxJsonSize(METADATA_MAX_BYTES)
  @FreeFormObject()
  metadata_json?: JsonObject | null;
}

export class UpdateConnectionRequest {
  @ApiPropertyOptional({ minLength: 1, maxLength: 255, example: 'ops@iqm.com.au' })
  @unlessAbsent
  @IsString()
  @Length(1, 255)
  name?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'New credentials: re-sealed; status goes back to active and error_message is cleared.',
    example: { access_token: 'ya29…', refresh_token: '1//0g…', expires_in: 3599 },
  })
  @unlessAbsent
  @IsObject()
  @MaxJsonSize(CREDENTIALS_MAX_BYTES)
  @FreeFormObject()
  credentials?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_SCOPES, example: ['https://www.googleapis.com/auth/gmail.readonly'] })
  @unlessAbsent
  @IsArray()
  @ArrayMaxSize(MAX_SCOPES)
  @IsString({ each: true })
  @Length(1, MAX_SCOPE_LENGTH, { each: true })
  scopes?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true, description: 'null clears it. At most 16 KiB.', example: { team: 'payroll' } })
  @IsOptional()
  @IsObject()
  @MaxJsonSize(METADATA_MAX_BYTES)
  @FreeFormObject()
  metadata_json?: JsonObject | null;
}

export class ListConnectionsQuery extends PageQuery {
  @ApiPropertyOptional({ minLength: 1, maxLength: 50, example: 'gmail' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  provider?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 32, example: 'active' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  status?: string;
}
