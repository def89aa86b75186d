import { ApiProperty } from '@nestjs/swagger';

export class CustomerResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ format: 'date-time' })
  created_at: string;
}

export class CustomerListResponse {
  @ApiProperty({ type: [CustomerResponse] })
  customers: CustomerResponse[];

  @ApiProperty({ type: 'integer', description: 'All customers, whatever the page' })
  total: number;
}
