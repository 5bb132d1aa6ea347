import { type AccountDeps, accountHandlers } from "./accounts.js";
import { type AdminDeps, adminHandlers } from "./admin.js";
import { type AgentDeps, agentHandlers } from "./agents.js";
import { type ApiKeyDeps, apiKeyHandlers } from "./apiKeys.js";
import { type CreationDeps, creationHandlers } from "./creations.js";
import { type GenerationDeps, generationHandlers } from "./generations.js";
import { type LineageDeps, lineageHandlers } from "./lineage.js";
import { type SearchDeps, searchHandlers } from "./search.js";
import { type SystemDeps, systemHandlers } from "./system.js";
import { type TokenDeps, tokenHandlers } from "./tokens.js";
import type { ServiceHandlers } from "./types.js";
import { type WallDeps, wallHandlers } from "./wall.js";

export type HandlerDeps = SystemDeps & AccountDeps & ApiKeyDeps & CreationDeps & AgentDeps & GenerationDeps & TokenDeps & AdminDeps & WallDeps & LineageDeps & SearchDeps;

/** The service: one handler per operationId of openapi.yaml (checked at compile time). */
export function createHandlers(deps: HandlerDeps): ServiceHandlers {
  const system = systemHandlers(deps);
  const accounts = accountHandlers(deps);
  const apiKeys = apiKeyHandlers(deps);
  const creations = creationHandlers(deps);
  const agents = agentHandlers(deps);
  const generations = generationHandlers(deps);
  const tokens = tokenHandlers(deps);
  const admin = adminHandlers(deps);
  return {
    getHealth: system.getHealth,
    getReadiness: system.getReadiness,
    register: accounts.register,
    login: accounts.login,
    getMe: accounts.getMe,
    listApiKeys: apiKeys.listApiKeys,
    createApiKey: apiKeys.createApiKey,
    revokeApiKey: apiKeys.revokeApiKey,
    listCreations: creations.listCreations,
    getCreation: creations.getCreation,
    downloadCreation: creations.downloadCreation,
    getCreationThumbnail: creations.getCreationThumbnail,
    publishCreation: creations.publishCreation,
    unpublishCreation: creations.unpublishCreation,
    shareCreation: creations.shareCreation,
    revokeShare: creations.revokeShare,
    getSharedCreation: creations.getSharedCreation,
    downloadSharedCreation: creations.downloadSharedCreation,
    ...agents,
    ...generations,
    ...tokens,
    ...admin,
    ...wallHandlers(deps),
    ...lineageHandlers(deps),
    ...searchHandlers(deps),
  } satisfies ServiceHandlers;
}

export type { ServiceHandlers, Handler, HandlerResult, OperationId } from "./types.js";
