import type { Db, Queryable } from "../db/types.js";
import type { OutputKind } from "../generation/provider.js";
import { lockWall } from "./lock.js";
import { DEFAULT_LAYOUT, type Placement, type PlacementState, type WallLayout, createPlacementState } from "./placement/index.js";
import type { WallSignal } from "./signal.js";
import {
  type PostItRow,
  type PostItType,
  allPostIts,
  changesSince,
  deletePostIt,
  findPostIt,
  insertChanges,
  insertPostIt,
  lastChangeSeq,
  postItsByIds,
} from "./store.js";

export interface PinRequest {
  /** The creation's or agent's id. */
  id: string;
  type: PostItType;
  accountId: string;
  /** The owner's home (accounts.home_index). */
  homeIndex: number;
  /** Output kind of the creation or agent. */
  kind: OutputKind;
}

/** How many times a pin is tried again after its spot turned out to be taken by a row this process had not seen. */
const PIN_ATTEMPTS = 3;

type Undo = { op: "placed"; id: string; x: number; y: number } | { op: "unplaced"; row: PostItRow };

/**
 * Owns this process's in-memory placement state of the whole wall and every write to wall_postits.
 *
 * Each wall write runs in ONE database transaction with the caller's own change (publish, agent creation…):
 * it takes the wall advisory lock first, which serialises placement across every process on the database, then
 * catches up with what other processes committed since the last wall_changes row seen here, then places. Inside
 * the process, wall transactions also queue behind each other, so the in-memory state is only ever changed by
 * the transaction holding the lock, and a rolled-back transaction is undone in memory before the next one starts.
 * The unique (x, y) index stays the backstop against rows written without the lock: on a clash the state is
 * rebuilt from the database and the pin tried again.
 */
export class WallPlacer {
  private state: PlacementState;
  /**
   * Where each post-it is, as a packed slot (see `pack`). The engine deliberately has no index by id; this one is
   * needed to take off a post-it that another process removed (its row is gone by then).
   */
  private positions = new Map<string, number>();
  /** Highest wall_changes.seq applied to the state. */
  private lastSeq = 0;
  /** Rebuild from the database before the next use (at start, or after an undo that could not be applied). */
  private stale = true;
  private queue: Promise<unknown> = Promise.resolve();
  /** Full rebuilds so far: one at start; more only when the unique index caught a spot this process missed. */
  rebuilds = 0;

  constructor(
    private readonly db: Db,
    private readonly signal: WallSignal,
    readonly layout: WallLayout = DEFAULT_LAYOUT,
  ) {
    this.state = createPlacementState(layout);
  }

  /** Post-its in this process's state. */
  get size(): number {
    return this.state.size;
  }

  /** The post-it this process believes is at (x, y) (tests). */
  idAt(x: number, y: number): string | undefined {
    return this.state.at(x, y)?.id;
  }

  /**
   * Runs fn in one transaction holding the wall lock, the state caught up with the database. When fn or the
   * commit fails, what fn did to the state is undone; after a commit that changed the wall, the signal fires.
   */
  transaction<R>(fn: (wall: WallWriter) => Promise<R>): Promise<R> {
    const run = this.queue.then(() => this.run(fn));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run<R>(fn: (wall: WallWriter) => Promise<R>): Promise<R> {
    let writer: WallWriter | undefined;
    let result: R;
    try {
      result = await this.db.transaction(async (tx) => {
        await lockWall(tx);
        await this.catchUp(tx);
        writer = new WallWriter(this, tx);
        return fn(writer);
      });
    } catch (err) {
      if (writer) this.undo(writer.undoLog);
      throw err;
    }
    if (writer?.wrote) this.signal.changed();
    return result;
  }

  /** Applies the place/remove changes committed since the last one seen (by anyone: own ones are no-ops). */
  private async catchUp(tx: Queryable): Promise<void> {
    if (this.stale) return this.rebuild(tx);
    const changes = await changesSince(tx, this.lastSeq);
    if (changes.length === 0) return;
    const ids = new Set(changes.filter((c) => c.op !== "touch").map((c) => c.postit_id));
    const last = changes[changes.length - 1]!.seq;
    if (ids.size > 0) {
      const rows = await postItsByIds(tx, [...ids]);
      const stored = new Map(rows.map((row) => [row.id, row]));
      try {
        // Take off first whatever went or moved, then put back what is stored: stored rows never overlap.
        for (const id of ids) {
          const at = this.positions.get(id);
          if (at === undefined) continue;
          const row = stored.get(id);
          if (row && this.pack(row.x, row.y) === at) stored.delete(id);
          else this.forget(id, at);
        }
        for (const row of stored.values()) this.remember(row);
      } catch {
        // The state disagreed with the database (it should not): start again from the database.
        return this.rebuild(tx);
      }
    }
    this.lastSeq = last;
  }

  /** Replaces the state with the post-its stored now (inside the lock, so nothing commits in between). */
  async rebuild(tx: Queryable): Promise<void> {
    const last = await lastChangeSeq(tx);
    const rows = await allPostIts(tx);
    this.state = createPlacementState(this.layout);
    this.positions = new Map();
    for (const row of rows) this.remember(row);
    this.lastSeq = last;
    this.stale = false;
    this.rebuilds++;
  }

  /** Computes a new spot and takes it in memory (the caller stores it). */
  place(req: PinRequest): Placement {
    const placement = this.state.place({
      accountHome: req.homeIndex,
      kind: req.type,
      id: req.id,
      avoidHome: req.type === "agent",
    });
    this.positions.set(req.id, this.pack(placement.x, placement.y));
    return placement;
  }

  /** Frees a spot in memory; false when that post-it was not there. */
  unplace(id: string, x: number, y: number): boolean {
    const at = this.positions.get(id);
    if (at === undefined || at !== this.pack(x, y)) return false;
    this.forget(id, at);
    return true;
  }

  remember(row: Pick<PostItRow, "id" | "type" | "home_index" | "x" | "y">): void {
    this.state.restore({ id: row.id, accountHome: row.home_index, kind: row.type, x: row.x, y: row.y });
    this.positions.set(row.id, this.pack(row.x, row.y));
  }

  private forget(id: string, at: number): void {
    const [x, y] = unpackSlot(at, this.layout.slotSize);
    this.state.unplace({ id, x, y });
    this.positions.delete(id);
  }

  private pack(x: number, y: number): number {
    return packSlot(x, y, this.layout.slotSize);
  }

  private undo(log: readonly Undo[]): void {
    try {
      for (const step of [...log].reverse()) {
        if (step.op === "placed") this.unplace(step.id, step.x, step.y);
        else if (!this.positions.has(step.row.id)) this.remember(step.row);
      }
    } catch {
      this.stale = true;
    }
  }
}

/** One wall transaction's writes; every method runs inside it, under the wall lock. */
export class WallWriter {
  readonly undoLog: Undo[] = [];
  /** A wall_changes row was written (the signal fires after the commit). */
  wrote = false;

  constructor(
    private readonly placer: WallPlacer,
    readonly tx: Queryable,
  ) {}

  /**
   * Pins a post-it near its owner's home and stores it with a 'place' change. Already pinned: answers the stored
   * placement and changes nothing (`created` false).
   */
  async pin(req: PinRequest): Promise<{ placement: Placement; created: boolean }> {
    const existing = await findPostIt(this.tx, req.id);
    if (existing) return { placement: placementOfRow(existing), created: false };
    for (let attempt = 1; ; attempt++) {
      const placement = this.placer.place(req);
      this.undoLog.push({ op: "placed", id: req.id, x: placement.x, y: placement.y });
      const stored = await insertPostIt(this.tx, {
        id: req.id,
        type: req.type,
        accountId: req.accountId,
        homeIndex: req.homeIndex,
        kind: req.kind,
        ...placement,
      });
      if (stored) {
        await insertChanges(this.tx, [{ postitId: req.id, op: "place" }]);
        this.wrote = true;
        return { placement, created: true };
      }
      // Taken by a row this process never saw (written without the wall lock). Drop this try, reload, go again.
      this.placer.unplace(req.id, placement.x, placement.y);
      this.undoLog.pop();
      const again = await findPostIt(this.tx, req.id);
      if (again) return { placement: placementOfRow(again), created: false };
      if (attempt >= PIN_ATTEMPTS) {
        throw new Error(`could not pin ${req.id}: the spots chosen were taken ${attempt} times in a row`);
      }
      await this.placer.rebuild(this.tx);
    }
  }

  /** Takes a post-it off the wall with a 'remove' change; its spot is free again. Undefined when not pinned. */
  async unpin(id: string): Promise<PostItRow | undefined> {
    const row = await deletePostIt(this.tx, id);
    if (!row) return undefined;
    await insertChanges(this.tx, [{ postitId: id, op: "remove" }]);
    this.wrote = true;
    if (this.placer.unplace(id, row.x, row.y)) this.undoLog.push({ op: "unplaced", row });
    return row;
  }

  /** Records that these post-its' tiles changed (strings, counts); ids not on the wall are skipped. */
  async touch(ids: Iterable<string>): Promise<void> {
    const unique = [...new Set(ids)].sort();
    if (unique.length === 0) return;
    const rows = await this.tx.query(
      `INSERT INTO wall_changes (postit_id, op)
       SELECT id, 'touch' FROM wall_postits WHERE id = ANY($1::text[]) ORDER BY id
       RETURNING seq`,
      [unique],
    );
    if (rows.length > 0) this.wrote = true;
  }
}

export function placementOfRow(row: PostItRow): Placement {
  return { x: row.x, y: row.y, rotation: row.rotation, colour: row.colour };
}

// Slot coordinates fit 26 bits each on any wall this server will hold (±33 million slots a side), so a position
// packs into one safe integer: a Map of numbers costs far less than one of {x, y} objects.
const OFFSET = 2 ** 25;
const SPAN = 2 ** 26;

function packSlot(x: number, y: number, slotSize: number): number {
  return (x / slotSize + OFFSET) * SPAN + (y / slotSize + OFFSET);
}

function unpackSlot(packed: number, slotSize: number): [number, number] {
  const sy = (packed % SPAN) - OFFSET;
  const sx = Math.floor(packed / SPAN) - OFFSET;
  return [sx * slotSize, sy * slotSize];
}
