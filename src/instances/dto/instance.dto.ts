import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, Length } from 'class-validator';
import { EXAMPLE } from '../../http/openapi-examples';

export class CreateInstanceRequest {
  @ApiProperty({ minLength: 1, maxLength: 255, example: 'rostering-agent-prod' })
  @IsDefined()
  @IsString()
  @Length(1, 255)
  name: string;
}

export class InstanceResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.instanceId })
  id: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.customerId })
  customer_id: string;

  @ApiProperty({ example: 'rostering-agent-prod' })
  name: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  created_at: string;
}

export class CreatedInstanceResponse extends InstanceResponse {
  @ApiProperty({ description: 'The instance\u2019s proxy key: shown this once, stored only as a hash', example: 'hcp_Vq7Lm2Xc9Rt4Ny8Bw1Kd6Hs3Jf0Pg5Za7Ue2Io9Ty4W' })
  proxy_key: string;
}

export class ProxyKeyResponse {
  @ApiProperty({ description: 'The new proxy key; the previous one fails from now on', example: 'hcp_Q8wE3rT6yU1iO4pA7sD0fG2hJ5kL9zX3cV6bN1mQ4wE' })
  proxy_key: string;
}

export class InstanceListResponse {
  @ApiProperty({ type: [InstanceResponse] })
  instances: InstanceResponse[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;
}
