import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { EXAMPLE } from '../http/openapi-examples';
import { Auth } from '../auth/auth.decorator';
import { ApiErrors } from '../http/error-responses';
import { UuidParam } from '../http/uuid-param';
import { AuditEventsService } from './audit-events.service';
import { AuditEventFilter, AuditEventListResponse, ListAuditEventsQuery } from './dto/audit-event.dto';

const NDJSON_EXAMPLE =
  '{"id":"0b7e9b4e-5f43-4e0e-a1f4-1c9f3d2b7a10","customer_id":"8d1f6c0a-2b3e-4f5a-9c7d-0e1f2a3b4c5d","occurred_at":"2026-11-22T14:15:22.123Z","action":"credentials.read","outcome":"success","status":200,"actor":{"kind":"instance","id":"3f0c6a52-1d7e-4c1b-9a57-2b8f0e4d6c11"},"connection_id":"c4a1e2d3-5b6f-4a7e-8d9c-0b1a2c3d4e5f","instance_id":"3f0c6a52-1d7e-4c1b-9a57-2b8f0e4d6c11","grant_id":null,"provider":"gmail","capability":"send_mail","request_id":"req-7f3a9c"}\n';

@ApiTags('Audit events')
@ApiParam({ name: 'customer_id', format: 'uuid', example: EXAMPLE.customerId })
@Controller('v1/customers/:customer_id/audit-events')
export class AuditEventsController {
  constructor(private readonly events: AuditEventsService) {}

  @Get()
  @Auth('customer')
  @ApiOperation({
    operationId: 'listAuditEvents',
    summary: 'List the customer\u2019s audit events, oldest first',
    description:
      'Every credential read (`credentials.read`, outcome `success`, `denied` or `error`) and every change of the customer\u2019s connections, grants, instances, API keys, OAuth apps and webhooks, with who did it (`actor`) and the request id. Filters combine with AND; `since` is inclusive, `until` exclusive. Events outlive what they name and the customer itself: after a customer is deleted, the admin still reads its events here.',
  })
  @ApiOkResponse({ type: AuditEventListResponse })
  @ApiErrors(404, 422)
  list(@UuidParam('customer_id') customerId: string, @Query() query: ListAuditEventsQuery): Promise<AuditEventListResponse> {
    return this.events.list(customerId, query);
  }

  @Get('export')
  @Auth('customer')
  @ApiOperation({
    operationId: 'exportAuditEvents',
    summary: 'Export the customer\u2019s audit events as NDJSON',
    description:
      'Every matching event, oldest first, one `AuditEvent` JSON object a line (`application/x-ndjson`), streamed from a database cursor as the client reads it: for a SIEM. Takes the filters of the list, without paging.',
  })
  @ApiOkResponse({ description: 'One AuditEvent per line', content: { 'application/x-ndjson': { schema: { type: 'string', example: NDJSON_EXAMPLE } } } })
  @ApiErrors(404, 422)
  async export(@UuidParam('customer_id') customerId: string, @Query() filter: AuditEventFilter): Promise<StreamableFile> {
    return new StreamableFile(await this.events.export(customerId, filter), { type: 'application/x-ndjson' });
  }
}
