import type { Oto } from "@oto/sdk";
import type { LineageRecord } from "@oto/server/lineage";
import { isApiError } from "./errors.js";

// `oto verify`: checks a creation's lineage record on this machine, trusting nothing the server says about it.
// The signature is checked against the published keys, the file is downloaded and hashed, and every
// ingredient's record is fetched and checked in turn (its signature, its file's hash, and that its hash is the
// one the record that names it signed), back to the originals. The checks themselves are @oto/server/lineage's, the same
// code the server signs with.

/** Far more than any real lineage; stops a server that answers an endless chain. */
const MAX_RECORDS = 1000;

export interface CheckedRecord {
  creation_id: string;
  /** "this creation", "parent of cr_…", "input of cr_…". */
  role: string;
  kid: string | null;
  media_type: string | null;
  /** True for a record without a parent (the start of a chain). */
  original: boolean;
  ok: boolean;
  problems: string[];
}

export interface VerifyReport {
  ok: boolean;
  creation_id: string;
  server: string;
  /** Where the creation's record came from: "server" or the file given with --record. */
  record_from: string;
  /** The kids of the published keys the signatures were checked against. */
  keys: string[];
  /** The SHA-256 of the downloaded file, or null when it could not be downloaded. */
  file_sha256: string | null;
  /** Files downloaded and hashed against their records: this creation's and its visible ancestors'. */
  files_checked: number;
  records: CheckedRecord[];
  /** Ingredients whose records could not be fetched (not visible to you): not a failure, but not checked. */
  unchecked: string[];
  problems: string[];
}

export interface VerifyInput {
  oto: Oto;
  server: string;
  /** The creation to verify; with `record`, optional (the record names it). */
  creationId?: string;
  /** A record given by the user (already parsed), instead of the server's. */
  record?: { value: unknown; from: string };
}

type Lineage = typeof import("@oto/server/lineage");

export async function verifyCreation(input: VerifyInput): Promise<VerifyReport> {
  const lineage: Lineage = await import("@oto/server/lineage");
  const { oto } = input;
  const problems: string[] = [];
  const fromFile = input.record !== undefined;
  const leaf = fromFile ? input.record!.value : await oto.creations.record(input.creationId!);
  const leafId = recordCreationId(leaf) ?? input.creationId;
  if (!leafId) throw new Error("the record names no creation (creation_id is missing)");
  if (input.creationId && input.creationId !== leafId) {
    problems.push(`the record is for ${leafId}, not ${input.creationId}`);
  }

  const jwks = await oto.lineage.keys();
  const publicKeys = lineage.publicKeysFromJwks(jwks);

  let filesChecked = 0;
  const downloadFile = async (id: string): Promise<Uint8Array | undefined> => {
    try {
      const file = await oto.creations.download(id, { stream: true });
      const bytes = new Uint8Array(await new Response(file.stream).arrayBuffer());
      filesChecked++;
      return bytes;
    } catch (err) {
      problems.push(`the file of ${id} could not be downloaded: ${isApiError(err) ? err.message : String(err)}`);
      return undefined;
    }
  };
  const content = await downloadFile(leafId);

  const records: CheckedRecord[] = [];
  const unchecked: string[] = [];
  const fetched = new Map<string, unknown>();
  const queue: Array<{ record: unknown; role: string; content?: Uint8Array }> = [
    { record: leaf, role: "this creation", ...(content && { content }) },
  ];
  const seen = new Set<string>([leafId]);
  let cut = false;

  while (queue.length > 0) {
    const { record, role, content: bytes } = queue.shift()!;
    const id = recordCreationId(record) ?? "(unknown creation)";
    const parsed = lineage.lineageRecordSchema.safeParse(record);
    if (!parsed.success) {
      const result = lineage.verifyRecord(record, { publicKeys });
      records.push({ creation_id: id, role, kid: null, media_type: null, original: false, ok: false, problems: result.problems });
      continue;
    }
    const current = parsed.data as LineageRecord;
    let parentRecord: LineageRecord | undefined;
    const ingredientRecords: LineageRecord[] = [];
    for (const ingredient of current.ingredients) {
      const other = await fetchRecord(oto, ingredient.creation_id, fetched);
      if (other === null) {
        if (!unchecked.includes(ingredient.creation_id)) unchecked.push(ingredient.creation_id);
        continue;
      }
      // A malformed ingredient record cannot be linked; its own problems are reported when it is checked.
      const usable = lineage.lineageRecordSchema.safeParse(other);
      if (usable.success && ingredient.relationship === "parentOf") parentRecord = usable.data as LineageRecord;
      else if (usable.success) ingredientRecords.push(usable.data as LineageRecord);
      if (seen.has(ingredient.creation_id)) continue;
      if (seen.size >= MAX_RECORDS) {
        cut = true;
        continue;
      }
      seen.add(ingredient.creation_id);
      const what = ingredient.relationship === "parentOf" ? "parent" : "input";
      const bytes = usable.success ? await downloadFile(ingredient.creation_id) : undefined;
      queue.push({ record: other, role: `${what} of ${current.creation_id}`, ...(bytes && { content: bytes }) });
    }
    const result = lineage.verifyRecord(current, {
      publicKeys,
      ...(bytes && { contentBytes: bytes }),
      ...(parentRecord && { parentRecord }),
      ingredientRecords,
    });
    records.push({
      creation_id: current.creation_id,
      role,
      kid: current.sig.kid,
      media_type: current.media_type,
      original: current.prev_record_hash === null,
      ok: result.ok,
      problems: result.problems,
    });
  }
  if (cut) problems.push(`the lineage is longer than ${MAX_RECORDS} records; the rest was not checked`);

  // Oldest first: a changed ancestor is the cause, the broken links of its descendants the consequence.
  for (const r of [...records].reverse()) problems.push(...r.problems.map((p) => `${r.creation_id}: ${p}`));
  return {
    ok: problems.length === 0,
    creation_id: leafId,
    server: input.server,
    record_from: fromFile ? input.record!.from : "server",
    keys: [...publicKeys.keys()],
    file_sha256: content ? lineage.sha256Hex(content) : null,
    files_checked: filesChecked,
    records,
    unchecked,
    problems,
  };
}

function recordCreationId(record: unknown): string | undefined {
  const id = (record as { creation_id?: unknown } | null)?.creation_id;
  return typeof id === "string" && /^cr_[0-9a-z]{26}$/.test(id) ? id : undefined;
}

/** An ingredient's record from the server, unchecked; null when it is not visible to you (404). */
async function fetchRecord(oto: Oto, id: string, cache: Map<string, unknown>): Promise<unknown> {
  if (cache.has(id)) return cache.get(id);
  let record: unknown;
  try {
    record = await oto.creations.record(id);
  } catch (err) {
    if (!(isApiError(err) && err.status === 404)) throw err;
    record = null;
  }
  cache.set(id, record);
  return record;
}
