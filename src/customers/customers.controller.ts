import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type Caller, RequestCaller } from '../audit/caller';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { PageQuery } from '../http/pagination';
import { UuidParam } from '../http/uuid-param';
import { CustomersService } from './customers.service';
import { CreateCustomerRequest } from './dto/create-customer.dto';
import { CustomerListResponse, CustomerResponse } from './dto/customer.response';
import { EXAMPLE } from '../http/openapi-examples';

@ApiTags('Customers')
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @Auth('admin')
  @ApiOperation({
    operationId: 'createCustomer',
    summary: 'Create a customer',
    description: 'Admin only. Creates a customer, the tenant that owns API keys, instances, connections and grants.',
  })
  @ApiCreatedResponse({ type: CustomerResponse })
  @ApiErrors(422)
  create(@Body() body: CreateCustomerRequest, @RequestCaller() by: Caller): Promise<CustomerResponse> {
    return this.customers.create(body.name, by);
  }

  @Get()
  @Auth('admin')
  @ApiOperation({
    operationId: 'listCustomers',
    summary: 'List customers',
    description: 'Admin only. A page of customers, ordered by `created_at` then `id`, with the total count.',
  })
  @ApiOkResponse({ type: CustomerListResponse })
  @ApiErrors(422)
  list(@Query() page: PageQuery): Promise<CustomerListResponse> {
    return this.customers.list(page);
  }

  @Get(':customer_id')
  @Auth('customer')
  @ApiOperation({
    operationId: 'getCustomer',
    summary: 'Get a customer',
    description: 'The admin, or the customer itself. Another customer\u2019s id is a 403.',
  })
  @ApiOkResponse({ type: CustomerResponse })
  @ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
  @ApiErrors(404, 422)
  get(@UuidParam('customer_id') customerId: string): Promise<CustomerResponse> {
    return this.customers.get(customerId);
  }

  @Delete(':customer_id')
  @HttpCode(204)
  @Auth('admin')
  @ApiOperation({
    operationId: 'deleteCustomer',
    summary: 'Delete a customer and everything it owns',
    description: 'Admin only. Deletes the customer and everything it owns: API keys, instances (their proxy keys fail from the next request), connections and grants.',
  })
  @ApiNoContentResponse({ description: 'Deleted, with its keys, instances, connections and grants' })
  @ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
  @ApiErrors(404, 422)
  delete(@UuidParam('customer_id') customerId: string, @RequestCaller() by: Caller): Promise<void> {
    return this.customers.delete(customerId, by);
  }
}
