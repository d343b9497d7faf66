/**
 * A key's `allowedModels` restricts which models it may use: exact ids (`openai/gpt-4o-mini`) or
 * a whole provider (`anthropic/*`). An empty list allows every model.
 */
export function isModelAllowed(allowedModels: readonly string[], modelId: string): boolean {
  if (allowedModels.length === 0) return true;
  const provider = modelId.slice(0, modelId.indexOf('/'));
  return allowedModels.some((allowed) => allowed === modelId || allowed === `${provider}/*`);
}
