import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../http/openapi-examples';

export class CustomerResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.customerId })
  id: string;

  @ApiProperty({ example: 'Acme Pty Ltd' })
  name: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  created_at: string;
}

export class CustomerListResponse {
  @ApiProperty({ type: [CustomerResponse] })
  customers: CustomerResponse[];

  @ApiProperty({ type: 'integer', description: 'All customers, whatever the page', example: 1 })
  total: number;
}
