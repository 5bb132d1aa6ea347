// How each operation authenticates, read from its `security` in openapi.yaml.
import { describe, expect, it } from "vitest";
import { authMode } from "../../src/routes.js";
import { loadSpec } from "../../src/spec.js";

describe("authMode", () => {
  it("reads required, optional and no authentication from security requirements", () => {
    expect(authMode([{ bearerAuth: [] }])).toBe("required");
    expect(authMode([{}, { bearerAuth: [] }])).toBe("optional");
    expect(authMode([{ bearerAuth: [] }, {}])).toBe("optional");
    expect(authMode([])).toBe("none");
    expect(authMode([{}])).toBe("none");
  });

  it("classifies the creations operations of openapi.yaml as their descriptions say", () => {
    const modes = Object.fromEntries([...loadSpec().operations.values()].map((o) => [o.operationId, authMode(o.security)]));
    for (const id of ["getCreation", "downloadCreation", "getCreationThumbnail"]) expect(modes[id], id).toBe("optional");
    for (const id of ["getSharedCreation", "downloadSharedCreation", "getHealth", "register"]) expect(modes[id], id).toBe("none");
    for (const id of ["listCreations", "publishCreation", "unpublishCreation", "shareCreation", "revokeShare", "getMe"]) {
      expect(modes[id], id).toBe("required");
    }
  });
});
