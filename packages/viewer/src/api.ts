import type {
  Agent,
  Creation,
  CreationTree,
  Lineage,
  OutputKind,
  SearchPage,
  WallInfo,
  WallLocation,
  WallTile,
  WallTileBatch,
} from "@oto/sdk/schema";

/**
 * The read-only calls the viewer makes, typed from the spec. A few lines of fetch instead of the SDK: the SDK
 * carries retries, idempotency and Node-friendly extras a browser page does not need, and the bundle stays small.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

export class WallApi {
  constructor(private readonly base = "") {}

  private async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const response = await fetch(`${this.base}${path}`, { headers: { accept: "application/json" }, signal });
    if (!response.ok) {
      let code = "http_error";
      let detail = `HTTP ${response.status}`;
      try {
        const problem = (await response.json()) as { code?: string; detail?: string };
        code = problem.code ?? code;
        detail = problem.detail ?? detail;
      } catch {
        // not a problem document
      }
      throw new ApiError(response.status, code, detail);
    }
    return (await response.json()) as T;
  }

  wall(signal?: AbortSignal): Promise<WallInfo> {
    return this.get("/v1/wall", signal);
  }

  async tiles(keys: string[], signal?: AbortSignal, kinds?: OutputKind[]): Promise<WallTile[]> {
    const query = new URLSearchParams({ keys: keys.join(",") });
    if (kinds?.length) query.set("kinds", kinds.join(","));
    const batch = await this.get<WallTileBatch>(`/v1/wall/tiles?${query}`, signal);
    return batch.tiles;
  }

  locate(what: { creation: string } | { agent: string } | { handle: string }): Promise<WallLocation> {
    return this.get(`/v1/wall/locate?${new URLSearchParams(what)}`);
  }

  creation(id: string, signal?: AbortSignal): Promise<Creation> {
    return this.get(`/v1/creations/${encodeURIComponent(id)}`, signal);
  }

  agent(id: string, signal?: AbortSignal): Promise<Agent> {
    return this.get(`/v1/agents/${encodeURIComponent(id)}`, signal);
  }

  lineage(id: string, signal?: AbortSignal): Promise<Lineage> {
    return this.get(`/v1/creations/${encodeURIComponent(id)}/lineage`, signal);
  }

  tree(id: string, signal?: AbortSignal): Promise<CreationTree> {
    return this.get(`/v1/creations/${encodeURIComponent(id)}/tree?depth=20&limit=500`, signal);
  }

  search(q: string, signal?: AbortSignal): Promise<SearchPage> {
    return this.get(`/v1/search?${new URLSearchParams({ q, limit: "12" })}`, signal);
  }

  fileUrl(id: string): string {
    return `${this.base}/v1/creations/${encodeURIComponent(id)}/file?disposition=inline`;
  }
}
