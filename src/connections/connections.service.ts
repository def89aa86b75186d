import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, type FindOptionsSelect, In, Repository } from 'typeorm';
import { CredentialSealer, type SealedCredentials } from '../crypto/credential-sealer';
import { assertCustomerExists } from '../customers/customer-exists';
import { grantResponse } from '../grants/grant-response';
import { Grant } from '../grants/grant.entity';
import { notFound } from '../http/not-found';
import { Connection } from './connection.entity';
import { credentialsExpiry } from './credential-expiry';
import type { CreateConnectionRequest, ListConnectionsQuery, UpdateConnectionRequest } from './dto/connection-request.dto';
import type { ConnectionListResponse, ConnectionResponse } from './dto/connection.response';

/** Every column but the sealed credentials: what reads of `/v1` load. */
const PUBLIC_COLUMNS: FindOptionsSelect<Connection> = {
  id: true,
  customerId: true,
  provider: true,
  name: true,
  authType: true,
  status: true,
  errorMessage: true,
  scopes: true,
  metadataJson: true,
  expiresAt: true,
  lastUsedAt: true,
  createdAt: true,
  updatedAt: true,
};

@Injectable()
export class ConnectionsService {
  constructor(
    @InjectRepository(Connection) private readonly connections: Repository<Connection>,
    private readonly sealer: CredentialSealer,
  ) {}

  /** Seals the credentials to the new row's id; a second connection of the same provider and name is a 409. */
  async create(customerId: string, request: CreateConnectionRequest): Promise<ConnectionResponse> {
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
      lastUsedAt: null,
      ...sealedColumns(this.sealer.seal(request.credentials, { connectionId: id, customerId })),
    });
    const inserted = await this.connections.insert(connection);
    return this.map(this.connections.merge(connection, inserted.generatedMaps[0] as Partial<Connection>), []);
  }

  async list(customerId: string, query: ListConnectionsQuery): Promise<ConnectionListResponse> {
    const where = {
      customerId,
      ...(query.provider !== undefined && { provider: query.provider }),
      ...(query.status !== undefined && { status: query.status }),
    };
    // Page and total side by side. Not findAndCount: with `select` TypeORM counts DISTINCT over every
    // selected column, where a plain count(*) walks the (customer_id, created_at, id) index.
    const [connections, total] = await Promise.all([
      this.connections.find({ select: PUBLIC_COLUMNS, where, order: { createdAt: 'ASC', id: 'ASC' }, take: query.limit, skip: query.offset }),
      this.connections.countBy(where),
    ]);
    if (total === 0) await assertCustomerExists(this.connections.manager, customerId);
    const grants = await this.grantsByConnection(this.connections.manager, connections.map((connection) => connection.id));
    return { connections: connections.map((connection) => this.map(connection, grants.get(connection.id) ?? [])), total };
  }

  async get(customerId: string, connectionId: string): Promise<ConnectionResponse> {
    const connection = await this.connections.findOne({ select: PUBLIC_COLUMNS, where: { id: connectionId, customerId } });
    if (!connection) throw notFound('Connection');
    const grants = await this.grantsByConnection(this.connections.manager, [connection.id]);
    return this.map(connection, grants.get(connection.id) ?? []);
  }

  /** Changes what is given; new credentials are re-sealed and make the connection `active` again. */
  async update(customerId: string, connectionId: string, request: UpdateConnectionRequest): Promise<ConnectionResponse> {
    return this.connections.manager.transaction(async (manager) => {
      const connection = await manager.findOne(Connection, {
        where: { id: connectionId, customerId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!connection) throw notFound('Connection');
      if (request.name !== undefined) connection.name = request.name;
      if (request.scopes !== undefined) connection.scopes = request.scopes;
      if (request.metadata_json !== undefined) connection.metadataJson = request.metadata_json;
      if (request.credentials !== undefined) {
        Object.assign(connection, sealedColumns(this.sealer.seal(request.credentials, { connectionId, customerId })));
        connection.status = 'active';
        connection.errorMessage = null;
        connection.expiresAt = credentialsExpiry(request.credentials);
      }
      await manager.save(connection);
      const grants = await this.grantsByConnection(manager, [connection.id]);
      return this.map(connection, grants.get(connection.id) ?? []);
    });
  }

  /** Its grants go with it (cascade). */
  async delete(customerId: string, connectionId: string): Promise<void> {
    const { affected } = await this.connections.delete({ id: connectionId, customerId });
    if (!affected) throw notFound('Connection');
  }

  /** The grants of a page of connections in one query, by connection id, in grant order. */
  private async grantsByConnection(manager: EntityManager, connectionIds: string[]): Promise<Map<string, Grant[]>> {
    const byConnection = new Map<string, Grant[]>();
    if (connectionIds.length === 0) return byConnection;
    const grants = await manager.find(Grant, {
      where: { connectionId: In(connectionIds) },
      order: { grantedAt: 'ASC', id: 'ASC' },
    });
    for (const grant of grants) {
      const list = byConnection.get(grant.connectionId) ?? [];
      list.push(grant);
      byConnection.set(grant.connectionId, list);
    }
    return byConnection;
  }

  private map(connection: Connection, grants: Grant[]): ConnectionResponse {
    return {
      id: connection.id,
      customer_id: connection.customerId,
      provider: connection.provider,
      name: connection.name,
      auth_type: connection.authType,
      status: connection.status,
      error_message: connection.errorMessage,
      scopes: connection.scopes,
      metadata_json: connection.metadataJson,
      expires_at: connection.expiresAt?.toISOString() ?? null,
      last_used_at: connection.lastUsedAt?.toISOString() ?? null,
      created_at: connection.createdAt.toISOString(),
      updated_at: connection.updatedAt.toISOString(),
      grants: grants.map(grantResponse),
    };
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
