import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiQuery, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

type QuerySchema = Record<string, unknown>;
interface SchemaObject {
  properties?: Record<string, unknown>;
  required?: string[];
}

/**
 * JSON schemas of every request DTO, read from the class-validator rules in libs/shared: the
 * document describes exactly what the validation pipe enforces, with no second set of decorators.
 */
let schemas: Record<string, SchemaObject> | undefined;
function requestSchemas(): Record<string, SchemaObject> {
  schemas ??= validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, SchemaObject>;
  return schemas;
}

/** Documents a `@Query()` DTO's fields as query parameters. */
export const ApiQueryFrom = (dto: { name: string }): MethodDecorator => {
  const schema = requestSchemas()[dto.name];
  const required = new Set(schema?.required ?? []);
  return applyDecorators(
    ...Object.entries(schema?.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: required.has(name),
        schema: property as QuerySchema,
      }),
    ),
  );
};

/** The OpenAPI document at /api/openapi.json and a browsable UI at /api/docs. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Keyward API')
      .setDescription(
        "Console routes (/api) take a console access token or an API key holding the route's scope; guarded routes (/v1) take a Keyward API key.",
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
      .build(),
  );
  document.components ??= {};
  document.components.schemas = {
    ...document.components.schemas,
    ...(requestSchemas() as NonNullable<typeof document.components.schemas>),
  };
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
  });
}
