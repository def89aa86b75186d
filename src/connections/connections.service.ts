import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ConnectionEventType } from '../events/connection-event.entity';
import { ConnectionEvents } from '../events/connection-events';
import { AuditTrail } from '../audit/audit-trail';
import type { Caller } from '../audit/caller';
import { CredentialSealer, type SealedCredentials } from '../crypto/credential-sealer';
import type { JsonText } from '../http/json-text';
import { foundOr404, notFound } from '../http/not-found';
import { ConnectionReads } from './connection-reads';
import { Connection } from './connection.entity';
import { credentialsExpiry, holdsRefreshToken } from './credential-expiry';
import type { CreateConnectionRequest, ListConnectionsQuery, UpdateConnectionRequest } from './dto/connection-request.dto';
import type { ConnectionListResponse, ConnectionResponse } from './dto/connection.response';

@Injectable()
export class ConnectionsService {
  constructor(
    @InjectRepository(Connection) private readonly connections: Repository<Connection>,
    private readonly reads: ConnectionReads,
    private readonly sealer: CredentialSealer,
    private readonly events: ConnectionEvents,
    private readonly audit: AuditTrail,
  ) {}

  /** Seals the credentials to the new row's id; a second connection of the same provider and name is a 409. */
  async create(customerId: string, request: CreateConnectionRequest, by: Caller): Promise<JsonText<ConnectionResponse>> {
    const id = randomUUID();
    const connection = this.connections.create({
      id,
      customerId,
      provider: request.provider,
      name: request.name,
      authType: request.auth_type,
      status: 'active',
      errorMessage: null,
      scopes: request.scopes,
      metadataJson: request.metadata_json ?? null,
      expiresAt: credentialsExpiry(request.credentials),
      hasRefreshToken: holdsRefreshToken(request.credentials),
      ...sealedColumns(this.sealer.seal(request.credentials, { connectionId: id, customerId })),
    });
    await this.connections.manager.transaction(async (manager) => {
      await manager.insert(Connection, connection);
      await this.recordEvent(manager, 'connection.created', customerId, id);
      await this.audit.record(manager, { action: 'connection.create', by, customerId, connectionId: id, provider: request.provider });
    });
    return this.get(customerId, id);
  }

  /** A customer that does not exist is a 404, not an empty page. */
  async list(customerId: string, query: ListConnectionsQuery): Promise<JsonText<ConnectionListResponse>> {
    return foundOr404(await this.reads.page(customerId, query, query.limit, query.offset), 'Customer');
  }

  async get(customerId: string, connectionId: string): Promise<JsonText<ConnectionResponse>> {
    return foundOr404(await this.reads.one(customerId, connectionId), 'Connection');
  }

  /**
   * Changes what is given; new credentials are re-sealed and make the connection `active` again. Written
   * by `update`, not `save`: `save` copies the entity and drops keys of `metadata_json` named like
   * members of `Object.prototype`.
   */
  async update(customerId: string, connectionId: string, request: UpdateConnectionRequest, by: Caller): Promise<JsonText<ConnectionResponse>> {
    await this.connections.manager.transaction(async (manager) => {
      const connection = await manager.findOne(Connection, {
        select: { id: true, status: true, provider: true },
        where: { id: connectionId, customerId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!connection) throw notFound('Connection');
      const changes: QueryDeepPartialEntity<Connection> = {};
      if (request.name !== undefined) changes.name = request.name;
      if (request.scopes !== undefined) changes.scopes = request.scopes;
      if (request.metadata_json !== undefined) changes.metadataJson = request.metadata_json;
      const recovered = request.credentials !== undefined && (connection.status === 'error' || connection.status === 'revoked');
      if (request.credentials !== undefined) {
        Object.assign(changes, sealedColumns(this.sealer.seal(request.credentials, { connectionId, customerId })));
        changes.status = 'active';
        changes.errorMessage = null;
        changes.expiresAt = credentialsExpiry(request.credentials);
        // New credentials: a refresh in flight loses its compare-and-swap, and no backoff or lease holds.
        changes.hasRefreshToken = holdsRefreshToken(request.credentials);
        changes.credentialsVersion = () => 'credentials_version + 1';
        changes.refreshFailures = 0;
        changes.nextRefreshAt = null;
        changes.refreshLeaseOwner = null;
        changes.refreshLeaseExpiresAt = null;
      }
      if (Object.keys(changes).length > 0) await manager.update(Connection, { id: connectionId }, changes);
      await this.recordEvent(manager, 'connection.updated', customerId, connectionId);
      await this.audit.record(manager, { action: 'connection.update', by, customerId, connectionId, provider: connection.provider });
      if (recovered) await this.recordEvent(manager, 'connection.recovered', customerId, connectionId);
    });
    return this.get(customerId, connectionId);
  }

  /** Its grants go with it (cascade); its event carries it as it was, grants included. */
  async delete(customerId: string, connectionId: string, by: Caller): Promise<void> {
    await this.connections.manager.transaction(async (manager) => {
      const locked = await manager.findOne(Connection, { select: { id: true, provider: true }, where: { id: connectionId, customerId }, lock: { mode: 'pessimistic_write' } });
      if (!locked) throw notFound('Connection');
      await this.recordEvent(manager, 'connection.deleted', customerId, connectionId);
      await this.audit.record(manager, { action: 'connection.delete', by, customerId, connectionId, provider: locked.provider });
      await manager.delete(Connection, { id: connectionId, customerId });
    });
  }

  private async recordEvent(manager: EntityManager, type: ConnectionEventType, customerId: string, connectionId: string): Promise<void> {
    const data = await this.reads.oneIn(manager, connectionId);
    await this.events.record(manager, { type, customerId, connectionId, data: data! });
  }
}

function sealedColumns(sealed: SealedCredentials): Pick<Connection, 'credentialsCiphertext' | 'credentialsNonce' | 'wrappedDataKey' | 'keyId'> {
  return {
    credentialsCiphertext: sealed.ciphertext,
    credentialsNonce: sealed.nonce,
    wrappedDataKey: sealed.wrappedDataKey,
    keyId: sealed.keyId,
  };
}
