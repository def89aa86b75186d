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
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'Customer API key or ADMIN_API_KEY' }, API_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Customer API key, ADMIN_API_KEY, a JWT, or (under /internal) a proxy key' }, BEARER_SCHEME)
    .build();
  return SwaggerModule.createDocument(app, config, {
    extraModels: [ErrorResponse, InternalErrorResponse, ValidationErrorResponse],
    operationIdFactory: (_controller, method) => method,
  });
}

/** Swagger UI at `/docs` and the document at `/openapi.json`. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    raw: ['json'],
  });
}
