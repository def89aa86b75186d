import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDefined, IsString, IsUUID, Length } from 'class-validator';
import { EXAMPLE } from '../../http/openapi-examples';

export const MAX_CAPABILITIES = 100;

export class CreateGrantRequest {
  @ApiProperty({ format: 'uuid', description: 'An instance of the same customer', example: EXAMPLE.instanceId })
  @IsDefined()
  @IsString()
  @IsUUID('all')
  instance_id: string;

  @ApiProperty({
    type: [String],
    maxItems: MAX_CAPABILITIES,
    description: 'Provider-specific capabilities (e.g. send_mail, read_events); may be empty',
    example: ['send_mail'],
  })
  @IsDefined()
  @IsArray()
  @ArrayMaxSize(MAX_CAPABILITIES)
  @IsString({ each: true })
  @Length(1, 100, { each: true })
  capabilities: string[];
}

export class GrantResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.grantId })
  id: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.connectionId })
  connection_id: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.instanceId })
  instance_id: string;

  @ApiProperty({ type: [String], example: ['send_mail'] })
  capabilities: string[];

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  granted_at: string;
}
