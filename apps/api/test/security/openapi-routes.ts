import { call } from '../support/http.js';

export interface DocumentedRoute {
  method: string;
  /** The documented path, e.g. `/api/api-keys/{id}`. */
  path: string;
  /** Name of the request body's schema in `components.schemas`, if it has one. */
  bodySchema?: string;
  queryParameters: string[];
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
      }
    >
  >;
}

/**
 * Every route the running API documents, read from its own OpenAPI document: the route table the
 * security tests walk, so a route added later is covered (or must be named as exempt) at once.
 */
export async function documentedRoutes(baseUrl: string): Promise<DocumentedRoute[]> {
  const document = await call<OpenApiDocument>(baseUrl, 'GET', '/api/openapi.json');
  if (document.status !== 200) throw new Error(`no OpenAPI document: ${document.status}`);
  return Object.entries(document.body.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      bodySchema: operation.requestBody?.content?.['application/json']?.schema?.$ref
        ?.split('/')
        .pop(),
      queryParameters: (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name),
    })),
  );
}

export const routeName = (route: { method: string; path: string }): string =>
  `${route.method} ${route.path}`;

/** Fills every `{name}` of a documented path with the given value. */
export const fillPath = (path: string, value: string): string =>
  path.replace(/\{[^}]+\}/g, encodeURIComponent(value));
