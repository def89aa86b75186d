import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { PageQuery } from '../http/pagination';
import { UuidParam } from '../http/uuid-param';
import { CustomersService } from './customers.service';
import { CreateCustomerRequest } from './dto/create-customer.dto';
import { CustomerListResponse, CustomerResponse } from './dto/customer.response';

@ApiTags('Customers')
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @Auth('admin')
  @ApiOperation({ operationId: 'createCustomer', summary: 'Create a customer' })
  @ApiCreatedResponse({ type: CustomerResponse })
  @ApiErrors(422)
  create(@Body() body: CreateCustomerRequest): Promise<CustomerResponse> {
    return this.customers.create(body.name);
  }

  @Get()
  @Auth('admin')
  @ApiOperation({ operationId: 'listCustomers', summary: 'List customers' })
  @ApiOkResponse({ type: CustomerListResponse })
  @ApiErrors(422)
  list(@Query() page: PageQuery): Promise<CustomerListResponse> {
    return this.customers.list(page);
  }

  @Get(':customer_id')
  @Auth('customer')
  @ApiOperation({ operationId: 'getCustomer', summary: 'Get a customer' })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiParam({ name: 'customer_id', format: 'uuid' })
  @ApiErrors(404, 422)
  get(@UuidParam('customer_id') customerId: string): Promise<CustomerResponse> {
    return this.customers.get(customerId);
  }

  @Delete(':customer_id')
  @HttpCode(204)
  @Auth('admin')
  @ApiOperation({ operationId: 'deleteCustomer', summary: 'Delete a customer and everything it owns' })
  @ApiNoContentResponse({ description: 'Deleted, with its keys, instances, connections and grants' })
  @ApiParam({ name: 'customer_id', format: 'uuid' })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string): Promise<void> {
    return this.customers.delete(customerId);
  }
}
