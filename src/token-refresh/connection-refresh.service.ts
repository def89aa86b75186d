import { Injectable } from '@nestjs/common';
import type { Caller } from '../audit/caller';
import { ConnectionReads } from '../connections/connection-reads';
import type { ConnectionResponse } from '../connections/dto/connection.response';
import type { JsonText } from '../http/json-text';
import { foundOr404 } from '../http/not-found';
import { CodedProblem } from '../http/problems';
import { RefreshEngine } from './refresh-engine';

@Injectable()
export class ConnectionRefreshService {
  constructor(
    private readonly engine: RefreshEngine,
    private readonly reads: ConnectionReads,
  ) {}

  /** `POST …/refresh`: the connection as it is after the attempt; 409 `not_refreshable` when nothing could refresh it. */
  async refreshNow(customerId: string, connectionId: string, by: Caller): Promise<JsonText<ConnectionResponse>> {
    foundOr404(await this.reads.one(customerId, connectionId), 'Connection');
    const before = foundOr404(await this.engine.state(connectionId), 'Connection');
    if (!before.refreshable) {
      throw new CodedProblem(409, 'This connection is not refreshable: it needs auth_type oauth2, a refresh_token in its credentials and an OAuth app for its provider', 'not_refreshable');
    }
    const after = await this.engine.refresh(connectionId, 'manual', by);
    if (after && !after.refreshable) {
      throw new CodedProblem(409, 'This connection is not refreshable: its credentials hold no refresh_token', 'not_refreshable');
    }
    return foundOr404(await this.reads.one(customerId, connectionId), 'Connection');
  }
}
