import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { EXAMPLE } from '../../http/openapi-examples';
import { PageQuery } from '../../http/pagination';
import { ACTOR_KINDS, AUDIT_ACTIONS, AUDIT_OUTCOMES, type ActorKind, type AuditAction, type AuditOutcome } from '../audit-event.entity';

/** The filters of the list and of the export: all optional, combined with AND. */
export class AuditEventFilter {
  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, example: 'credentials.read' })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES, example: 'denied' })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ format: 'uuid', example: EXAMPLE.connectionId })
  @IsOptional()
  @IsUUID('all')
  connection_id?: string;

  @ApiPropertyOptional({ format: 'uuid', example: EXAMPLE.instanceId })
  @IsOptional()
  @IsUUID('all')
  instance_id?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events that occurred at or after this time', example: '2026-11-22T00:00:00.000Z' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events that occurred before this time', example: '2026-11-23T00:00:00.000Z' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  until?: string;
}

/** The list's query: the filters and `?limit&offset`. */
export class ListAuditEventsQuery extends IntersectionType(PageQuery, AuditEventFilter) {}

export class AuditActorResponse {
  @ApiProperty({ enum: ACTOR_KINDS, example: 'instance' })
  kind: ActorKind;

  @ApiProperty({ type: 'string', nullable: true, description: 'The API key id, the instance id, or the JWT\u2019s sub; null for the admin key and the system', example: '3f0c6a52-1d7e-4c1b-9a57-2b8f0e4d6c11' })
  id: string | null;
}

export class AuditEventResponse {
  @ApiProperty({ format: 'uuid', example: '0b7e9b4e-5f43-4e0e-a1f4-1c9f3d2b7a10' })
  id: string;

  @ApiProperty({ format: 'uuid', example: '8d1f6c0a-2b3e-4f5a-9c7d-0e1f2a3b4c5d' })
  customer_id: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-22T14:15:22.123Z' })
  occurred_at: string;

  @ApiProperty({ enum: AUDIT_ACTIONS, example: 'credentials.read' })
  action: AuditAction;

  @ApiProperty({ enum: AUDIT_OUTCOMES, example: 'success' })
  outcome: AuditOutcome;

  @ApiProperty({ type: 'integer', nullable: true, description: 'The HTTP status answered; null for background work', example: 200 })
  status: number | null;

  @ApiProperty({ type: AuditActorResponse })
  actor: AuditActorResponse;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, example: 'c4a1e2d3-5b6f-4a7e-8d9c-0b1a2c3d4e5f' })
  connection_id: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, example: '3f0c6a52-1d7e-4c1b-9a57-2b8f0e4d6c11' })
  instance_id: string | null;

  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, example: null })
  grant_id: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'gmail' })
  provider: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'send_mail' })
  capability: string | null;

  @ApiProperty({ type: 'string', nullable: true, example: 'req-7f3a9c' })
  request_id: string | null;
}

export class AuditEventListResponse {
  @ApiProperty({ type: [AuditEventResponse] })
  audit_events: AuditEventResponse[];

  @ApiProperty({ type: 'integer', example: 1 })
  total: number;
}
