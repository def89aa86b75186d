import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsString, Length, ValidateIf } from 'class-validator';
import { EXAMPLE } from '../../http/openapi-examples';
import { AUTH_METHODS, type AuthMethod } from '../oauth-app.entity';

const unlessAbsent = ValidateIf((_object, value) => value !== undefined);

export class CreateOAuthAppRequest {
  @ApiProperty({ minLength: 1, maxLength: 50, example: 'gmail', description: 'The provider whose connections this app refreshes: one app per provider' })
  @IsDefined()
  @IsString()
  @Length(1, 50)
  provider: string;

  @ApiProperty({ minLength: 1, maxLength: 1024, example: '1234567890-abc.apps.googleusercontent.com' })
  @IsDefined()
  @IsString()
  @Length(1, 1024)
  client_id: string;

  @ApiProperty({ minLength: 1, maxLength: 4096, description: 'Sealed at rest, never returned', example: 'GOCSPX-…' })
  @IsDefined()
  @IsString()
  @Length(1, 4096)
  client_secret: string;

  @ApiPropertyOptional({
    maxLength: 2048,
    description: 'https, public address. May be left out for known providers (gmail, google_calendar, google_drive, xero, microsoft, outlook, slack, hubspot, salesforce, deputy)',
    example: 'https://oauth2.googleapis.com/token',
  })
  @unlessAbsent
  @IsString()
  @Length(1, 2048)
  token_url?: string;

  @ApiPropertyOptional({ enum: AUTH_METHODS, default: 'client_secret_basic', example: 'client_secret_basic' })
  @unlessAbsent
  @IsIn(AUTH_METHODS)
  auth_method: AuthMethod = 'client_secret_basic';

  @ApiPropertyOptional({ type: [String], default: [], maxItems: 500, example: ['https://www.googleapis.com/auth/gmail.send'] })
  @unlessAbsent
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Length(1, 1000, { each: true })
  scopes: string[] = [];
}

export class UpdateOAuthAppRequest {
  @ApiPropertyOptional({ minLength: 1, maxLength: 1024, example: '1234567890-abc.apps.googleusercontent.com' })
  @unlessAbsent
  @IsString()
  @Length(1, 1024)
  client_id?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 4096, description: 'Re-sealed; never returned', example: 'GOCSPX-…' })
  @unlessAbsent
  @IsString()
  @Length(1, 4096)
  client_secret?: string;

  @ApiPropertyOptional({ maxLength: 2048, example: 'https://oauth2.googleapis.com/token' })
  @unlessAbsent
  @IsString()
  @Length(1, 2048)
  token_url?: string;

  @ApiPropertyOptional({ enum: AUTH_METHODS, example: 'client_secret_post' })
  @unlessAbsent
  @IsIn(AUTH_METHODS)
  auth_method?: AuthMethod;

  @ApiPropertyOptional({ type: [String], maxItems: 500, example: ['https://www.googleapis.com/auth/gmail.send'] })
  @unlessAbsent
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Length(1, 1000, { each: true })
  scopes?: string[];
}

export class OAuthAppResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.oauthAppId })
  id: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.customerId })
  customer_id: string;

  @ApiProperty({ example: 'gmail' })
  provider: string;

  @ApiProperty({ example: '1234567890-abc.apps.googleusercontent.com' })
  client_id: string;

  @ApiProperty({ example: 'https://oauth2.googleapis.com/token' })
  token_url: string;

  @ApiProperty({ enum: AUTH_METHODS, example: 'client_secret_basic' })
  auth_method: string;

  @ApiProperty({ type: [String], example: ['https://www.googleapis.com/auth/gmail.send'] })
  scopes: string[];

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  created_at: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  updated_at: string;
}

export class OAuthAppListResponse {
  @ApiProperty({ type: [OAuthAppResponse] })
  oauth_apps: OAuthAppResponse[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;
}
