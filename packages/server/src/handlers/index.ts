import { type AccountDeps, accountHandlers } from "./accounts.js";
import { type ApiKeyDeps, apiKeyHandlers } from "./apiKeys.js";
import { type SystemDeps, systemHandlers } from "./system.js";
import type { ServiceHandlers } from "./types.js";

export type HandlerDeps = SystemDeps & AccountDeps & ApiKeyDeps;

/** The service: one handler per operationId of openapi.yaml (checked at compile time). */
export function createHandlers(deps: HandlerDeps): ServiceHandlers {
  const system = systemHandlers(deps);
  const accounts = accountHandlers(deps);
  const apiKeys = apiKeyHandlers(deps);
  return {
    getHealth: system.getHealth,
    getReadiness: system.getReadiness,
    register: accounts.register,
    login: accounts.login,
    getMe: accounts.getMe,
    listApiKeys: apiKeys.listApiKeys,
    createApiKey: apiKeys.createApiKey,
    revokeApiKey: apiKeys.revokeApiKey,
  } satisfies ServiceHandlers;
}

export type { ServiceHandlers, Handler, HandlerResult, OperationId } from "./types.js";
