import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, Length } from 'class-validator';

export class CreateInstanceRequest {
  @ApiProperty({ minLength: 1, maxLength: 255, example: 'rostering-agent-prod' })
  @IsDefined()
  @IsString()
  @Length(1, 255)
  name: string;
}

export class InstanceResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  customer_id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class CreatedInstanceResponse extends InstanceResponse {
  @ApiProperty({ description: 'The instance\u2019s proxy key: shown this once, stored only as a hash', example: 'hcp_…' })
  proxy_key: string;
}

export class ProxyKeyResponse {
  @ApiProperty({ description: 'The new proxy key; the previous one fails from now on', example: 'hcp_…' })
  proxy_key: string;
}

export class InstanceListResponse {
  @ApiProperty({ type: [InstanceResponse] })
  instances: InstanceResponse[];

  @ApiProperty({ type: 'integer' })
  total: number;
}
