import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AuditEventsController } from './audit-events.controller';
import { AuditEventsService } from './audit-events.service';
import { AuditKeys } from './audit-mac';
import { AuditSealer, AUDIT_SEALER_TIMING, DEFAULT_SEALER_TIMING } from './audit-sealer';
import { AuditTrail } from './audit-trail';

/**
 * The audit trail: every feature records its events through `AuditTrail` (global), in the transaction
 * of its change; the sealer chains them in the background; customers read them here.
 */
@Global()
@Module({
  controllers: [AuditEventsController],
  providers: [
    { provide: AuditKeys, inject: [AppConfig], useFactory: (config: AppConfig) => new AuditKeys(config.activeKey, config.previousKeys) },
    { provide: AUDIT_SEALER_TIMING, useValue: DEFAULT_SEALER_TIMING },
    AuditTrail,
    AuditSealer,
    AuditEventsService,
  ],
  exports: [AuditTrail],
})
export class AuditModule {}
