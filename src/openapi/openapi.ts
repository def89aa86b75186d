import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../auth/auth.decorator';
import { ErrorResponse, InternalErrorResponse, ValidationErrorResponse } from '../http/error-responses';

/** The OpenAPI document the server serves at `/openapi.json`; `npm run openapi` commits the same. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('HydraCore Connections')
    .setDescription(
      'Credentials broker for agent runtimes: customers store provider credentials as sealed connections, ' +
        'grant them to their instances with capabilities, and instances fetch them at run time with their proxy key.',
    )
    .setVersion('1.0.0')
    .addServer('http://localhost:3000', 'A local `npm start` (set PORT to change it)')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'Customer API key or ADMIN_API_KEY' }, API_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Customer API key, ADMIN_API_KEY, a JWT, or (under /internal) a proxy key' }, BEARER_SCHEME)
    .build();
  config.info.license = { name: 'Proprietary' };
  const document = SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponse, InternalErrorResponse, ValidationErrorResponse],
    operationIdFactory: (_controller, method) => method,
  });
  // An operation that names no scheme is `@Public()` (the global guard refuses any other): say so.
  for (const path of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = path[method];
      if (operation && operation.security === undefined) operation.security = [];
    }
  }
  return document;
}

/** Swagger UI at `/docs` and the document at `/openapi.json`. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    raw: ['json'],
  });
}
