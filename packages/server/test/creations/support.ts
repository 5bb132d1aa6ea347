// Seeding creations for HTTP tests: real files from the local generator, stored through the app's FileStore and
// recorded with insertCreation, exactly as the job service does after a run.
import { createHash } from "node:crypto";
import { insertCreation } from "../../src/creations/store.js";
import { NOTICE, generateLocally } from "../../src/generation/local/index.js";
import type { GeneratedFile, OutputKind } from "../../src/generation/provider.js";
import { sortableId } from "../../src/ids.js";
import type { RunningServer } from "../../src/server.js";

const noContext = { signal: new AbortController().signal, progress: () => {} };

const SMALL: Record<OutputKind, Record<string, number>> = {
  text: {},
  image: { width: 640, height: 480 },
  voice: { duration_s: 1 },
  video: { width: 128, height: 72, duration_s: 1 },
};

export async function localFile(kind: OutputKind, prompt: string): Promise<GeneratedFile> {
  return generateLocally(
    { jobId: `job_${sortableId()}`, kind, prompt, parameters: SMALL[kind], inputs: [], agent: { id: "ag_x", name: "x" } },
    noContext,
  );
}

export interface Seeded {
  id: string;
  bytes: Uint8Array;
  sha256: string;
  mediaType: string;
}

/** A draft creation of `accountId` holding a local file (or the given bytes), as a finished job leaves it. */
export async function seedCreation(
  server: RunningServer,
  accountId: string,
  kind: OutputKind,
  prompt: string,
  options: { agentIds?: string[]; sourceIds?: string[]; filename?: string; bytes?: Uint8Array; claimedType?: string } = {},
): Promise<Seeded> {
  const generated = options.bytes ? undefined : await localFile(kind, prompt);
  const bytes = options.bytes ?? generated!.bytes;
  const filename = options.filename ?? generated!.filename;
  const file = await server.app.files.put(bytes, { filename, mediaType: options.claimedType ?? generated?.mediaType ?? "" });
  const id = await server.app.db.transaction((tx) =>
    insertCreation(tx, {
      accountId,
      jobId: `job_${sortableId()}`,
      kind,
      prompt,
      agentIds: options.agentIds ?? [],
      sourceIds: options.sourceIds ?? [],
      file,
      filename,
      generatorNotice: NOTICE,
    }),
  );
  return { id, bytes: await server.app.files.read(file.sha256), sha256: file.sha256, mediaType: file.mediaType };
}

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A raw GET that keeps the body as bytes. */
export async function getBytes(
  server: Pick<RunningServer, "url">,
  path: string,
  options: { apiKey?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; bytes: Uint8Array; json: any }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const response = await fetch(server.url + path, { headers });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const type = response.headers.get("content-type") ?? "";
  const json = /json/.test(type) && bytes.length > 0 ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
  return { status: response.status, headers: response.headers, bytes, json };
}
