import type { Db } from "../../db/types.js";
import type { WallSignal } from "../signal.js";
import { type IndexedPostIt, WallIndex } from "./spatialIndex.js";

// The post-it's code (see scheme.ts) computed by the database, so a row crosses over as a few numbers.
const CODE_SQL = (p: string) =>
  `(CASE ${p}.type WHEN 'agent' THEN 4 ELSE 0 END + CASE ${p}.kind WHEN 'text' THEN 0 WHEN 'image' THEN 1 WHEN 'voice' THEN 2 ELSE 3 END)`;
const FORKS_SQL = (alias: string) => `(SELECT count(*) FROM wall_strings f WHERE f.from_id = ${alias}.id AND f.type = 'forked_from')::int`;
const BUILD_CHUNK = 100_000;
const CHANGES_CHUNK = 5_000;

type FullRow = { seq: number; x: number; y: number; code: number; hash: number; id: string; forks: number };

export interface LiveIndexOptions {
  /** How stale the index may be, in ms, before a read first looks for changes made by other processes. */
  pollMs?: number;
  /** Where a failed background catch-up is reported (the next read tries again). */
  onError?: (err: unknown) => void;
}

/**
 * The in-memory index kept in step with the database: built from wall_postits at start, then caught up from
 * wall_changes (seq > last applied) when this process's WallSignal fires and, before serving, when the last look
 * is older than `pollMs` (another process may have written). Applying a change re-reads the post-it's row, so a
 * change seen twice or out of a batch is harmless: the database is the truth.
 */
export class LiveWallIndex {
  readonly index = new WallIndex();
  private readonly pollMs: number;
  private readonly onError: (err: unknown) => void;
  private built: Promise<void> | undefined;
  private lastLook = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    signal?: WallSignal,
    options: LiveIndexOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.onError = options.onError ?? (() => {});
    this.unsubscribe = signal?.on(() => {
      if (this.built) this.catchUp().catch(this.onError);
    });
  }

  /** Builds the index (once); reads wait for it. */
  start(): Promise<void> {
    this.built ??= this.build();
    return this.built;
  }

  /**
   * The index, caught up if the last look at the change log is older than pollMs. A catch-up already running
   * (started by this process's WallSignal right after a commit) is awaited, so a client that just published or
   * unpublished through this process reads its own write.
   */
  async current(): Promise<WallIndex> {
    await this.start();
    if (this.running) await this.running;
    if (performance.now() - this.lastLook >= this.pollMs) await this.catchUp();
    return this.index;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
  }

  /** Applies every change committed so far; concurrent calls share one run (plus one more if asked meanwhile). */
  catchUp(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = (async () => {
      try {
        do {
          this.again = false;
          this.lastLook = performance.now();
          while (!this.closed && (await this.applyBatch()) === CHANGES_CHUNK);
        } while (this.again && !this.closed);
      } finally {
        this.running = undefined;
      }
    })();
    this.running = run;
    return run;
  }

  private async build(): Promise<void> {
    // The last change first: anything committed after it is applied again by the catch-up, which is harmless.
    const [head] = await this.db.query<{ seq: number }>("SELECT coalesce(max(seq), 0)::float8 AS seq FROM wall_changes");
    const last = head!.seq;
    // PGlite spends far more on turning rows into objects than on the query: each chunk comes back as one text
    // "seq,x,y,code,hash;…" parsed here, which is several times faster than the same rows one by one.
    let after = 0;
    for (;;) {
      const [chunk] = await this.db.query<{ packed: string | null }>(
        `SELECT string_agg(seq || ',' || x || ',' || y || ',' || code || ',' || hash, ';' ORDER BY seq) AS packed
           FROM (SELECT p.seq, p.x, p.y, ${CODE_SQL("p")} AS code, hashtext(p.id) AS hash
                   FROM wall_postits p WHERE p.seq > $1 ORDER BY p.seq LIMIT ${BUILD_CHUNK}) AS c`,
        [after],
      );
      const read = chunk?.packed ? this.insertPacked(chunk.packed) : { count: 0, lastSeq: after };
      if (read.count < BUILD_CHUNK) break;
      after = read.lastSeq;
    }
    // Forks rank creations in highlights (agents come first whatever their count, see spatialIndex.ts), so only
    // "forked from" strings are counted here.
    const forks = await this.db.query<{ seq: number; x: number; y: number; n: number }>(
      `SELECT p.seq::float8 AS seq, p.x, p.y, f.n
         FROM (SELECT from_id, count(*)::int AS n FROM wall_strings WHERE type = 'forked_from' GROUP BY from_id) f
         JOIN wall_postits p ON p.id = f.from_id`,
    );
    for (const f of forks) this.index.setForks(f.x, f.y, f.seq, f.n);
    this.index.finishBuild(last);
    this.lastLook = performance.now();
  }

  /** Inserts "seq,x,y,code,hash;…" rows; answers how many and the last seq. */
  private insertPacked(packed: string): { count: number; lastSeq: number } {
    let count = 0;
    let lastSeq = 0;
    const p: IndexedPostIt = { seq: 0, x: 0, y: 0, code: 0, hash: 0, forks: 0 };
    let field = 0;
    let value = 0;
    let sign = 1;
    const n = packed.length;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? packed.charCodeAt(i) : 59; // end of text: as if ';'
      if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
      else if (c === 45) sign = -1;
      else {
        const v = sign * value;
        if (field === 0) p.seq = v;
        else if (field === 1) p.x = v;
        else if (field === 2) p.y = v;
        else if (field === 3) p.code = v;
        else p.hash = v;
        value = 0;
        sign = 1;
        field++;
        if (c === 59) {
          if (field !== 5) throw new Error(`unexpected wall_postits row near offset ${i}`);
          this.index.insert(p, true); // a build reads every row once
          lastSeq = p.seq;
          count++;
          field = 0;
        }
      }
    }
    return { count, lastSeq };
  }

  /** One batch of changes; answers how many were read. */
  private async applyBatch(): Promise<number> {
    const index = this.index;
    const changes = await this.db.query<{ seq: number; postit_id: string; op: string }>(
      `SELECT seq::float8 AS seq, postit_id, op FROM wall_changes WHERE seq > $1 ORDER BY seq LIMIT ${CHANGES_CHUNK}`,
      [index.version],
    );
    if (changes.length === 0) return 0;
    // Per id: the last change that named it (the version its tile takes) and whether it was pinned or unpinned.
    const last = new Map<string, { seq: number; moved: boolean; removed: boolean }>();
    for (const c of changes) {
      const seen = last.get(c.postit_id);
      last.set(c.postit_id, {
        seq: c.seq,
        moved: (seen?.moved ?? false) || c.op !== "touch",
        removed: (seen?.removed ?? false) || c.op === "remove",
      });
    }
    const ids = [...last.keys()];
    const movedIds = ids.filter((id) => last.get(id)!.moved);
    const rows = await this.db.query<FullRow>(
      `SELECT p.seq::float8 AS seq, p.id, p.x, p.y, ${CODE_SQL("p")} AS code, hashtext(p.id) AS hash, ${FORKS_SQL("p")} AS forks
         FROM wall_postits p WHERE p.id = ANY($1::text[])`,
      [ids],
    );
    const current = new Map(rows.map((r) => [r.id, r]));
    // A string is served only while both ends are on the wall: pinning or unpinning one end changes the other
    // end's tile too (and its forks count), whether or not the writer logged a touch for it.
    const neighbours =
      movedIds.length === 0
        ? []
        : await this.db.query<FullRow & { cause: string }>(
            `SELECT DISTINCT p.seq::float8 AS seq, p.id, p.x, p.y, ${CODE_SQL("p")} AS code,
                    hashtext(p.id) AS hash, ${FORKS_SQL("p")} AS forks,
                    CASE WHEN s.from_id = ANY($1::text[]) THEN s.from_id ELSE s.to_id END AS cause
               FROM wall_strings s
               JOIN wall_postits p ON p.id = CASE WHEN s.from_id = ANY($1::text[]) THEN s.to_id ELSE s.from_id END
              WHERE s.from_id = ANY($1::text[]) OR s.to_id = ANY($1::text[])`,
            [movedIds],
          );

    // Unpinned (and maybe pinned again elsewhere): whatever the index holds under the id's hash and whose row is
    // gone. A scan of the whole index, but only unpublishing needs it.
    const gone = ids.filter((id) => last.get(id)!.removed || current.get(id) === undefined);
    if (gone.length > 0) {
      const hashes = await this.db.query<{ id: string; hash: number }>(
        "SELECT i AS id, hashtext(i) AS hash FROM unnest($1::text[]) AS i",
        [gone],
      );
      const versionOfHash = new Map<number, number>();
      for (const h of hashes) versionOfHash.set(h.hash, Math.max(versionOfHash.get(h.hash) ?? 0, last.get(h.id)!.seq));
      const candidates = index.withHashes(new Set(versionOfHash.keys()));
      if (candidates.length > 0) {
        const alive = await this.db.query<{ seq: number }>("SELECT seq::float8 AS seq FROM wall_postits WHERE seq = ANY($1::bigint[])", [
          candidates.map((c) => c.seq),
        ]);
        const aliveSeqs = new Set(alive.map((a) => a.seq));
        for (const c of candidates) {
          if (aliveSeqs.has(c.seq)) continue; // another post-it with the same hash, still pinned
          index.remove(c.x, c.y, c.seq);
          index.touch(c.x, c.y, versionOfHash.get(c.hash)!);
        }
      }
    }

    const upsert = (r: FullRow, version: number) => {
      const p: IndexedPostIt = { seq: r.seq, x: r.x, y: r.y, code: r.code, hash: r.hash, forks: r.forks };
      if (!index.setForks(p.x, p.y, p.seq, p.forks)) index.insert(p);
      index.touch(p.x, p.y, version);
    };
    for (const r of rows) upsert(r, last.get(r.id)!.seq);
    for (const n of neighbours) upsert(n, last.get(n.cause)!.seq);
    index.version = changes[changes.length - 1]!.seq;
    return changes.length;
  }
}
