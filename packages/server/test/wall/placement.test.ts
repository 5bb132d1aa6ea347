import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AGENT_COLOURS,
  CREATION_COLOURS,
  DEFAULT_LAYOUT,
  PlacementError,
  PlacementState,
  homeCell,
  homeCellCoords,
  homeCellSize,
  homeIndexOfCell,
  postItBounds,
  rectsOverlap,
  ringSideOf,
  type Placement,
  type PostItKind,
  type Rect,
  type WallLayout,
} from "../../src/wall/placement/index.js";

/** Small cells so random histories spill across homes quickly. */
const SMALL: WallLayout = { ...DEFAULT_LAYOUT, homeCellSlots: 5, homeReserveRadius: 1 };

type Op =
  | { op: "place"; account: number; kind: PostItKind }
  | { op: "unplace"; pick: number };

const opArb = (accounts: number): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("place" as const),
        // Account 0 is busy, so histories regularly spill past its cell into the neighbours'.
        account: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.nat(accounts - 1) }),
        kind: fc.constantFrom<PostItKind>("agent", "creation") }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("unplace" as const), pick: fc.nat() }) },
  );

/** Accounts get homes in registration order, like the server will: account i owns spiral home i. */
const historyArb = (accounts = 6, maxOps = 220) => fc.array(opArb(accounts), { minLength: 1, maxLength: maxOps, size: "max" });

interface Placed extends Placement {
  id: string;
  home: number;
  kind: PostItKind;
}

interface Step {
  op: Op;
  id: string;
  /** Placement returned, or null for an unplace. */
  result: Placement | null;
  /** Everything on the wall just before this step. */
  before: Placed[];
}

/** Replays a history; ids are derived from the step number so the same history always uses the same ids. */
function replay(history: Op[], state: PlacementState, onStep?: (s: Step) => void): Map<string, Placed> {
  const live = new Map<string, Placed>();
  history.forEach((op, i) => {
    const before = onStep ? [...live.values()] : [];
    if (op.op === "place") {
      const id = `pst_${i.toString(36).padStart(6, "0")}`;
      const result = state.place({ accountHome: op.account, kind: op.kind, id });
      live.set(id, { ...result, id, home: op.account, kind: op.kind });
      onStep?.({ op, id, result, before });
    } else {
      const ids = [...live.keys()];
      if (ids.length === 0) return;
      const id = ids[op.pick % ids.length]!;
      expect(state.unplace(live.get(id)!)).toBe(true);
      live.delete(id);
      onStep?.({ op, id, result: null, before });
    }
  });
  return live;
}

function slotOf(p: { x: number; y: number }, layout: WallLayout): [number, number] {
  return [Math.round(p.x / layout.slotSize), Math.round(p.y / layout.slotSize)];
}

/** The protected spot of the home in a cell: its reserve zone, as a rectangle in wall units. */
function homeSpotRect(index: number, layout: WallLayout): Rect {
  const c = homeCell(index, layout);
  const half = (layout.homeReserveRadius + 0.5) * layout.slotSize;
  return { minX: c.x - half, minY: c.y - half, maxX: c.x + half, maxY: c.y + half };
}

function assertNoOverlap(posts: Placed[], layout: WallLayout): void {
  const boxes = posts.map((p) => ({ p, b: postItBounds(p, layout) })).sort((a, b) => a.b.minX - b.b.minX);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length && boxes[j]!.b.minX < boxes[i]!.b.maxX; j++) {
      if (rectsOverlap(boxes[i]!.b, boxes[j]!.b)) {
        throw new Error(`${boxes[i]!.p.id} overlaps ${boxes[j]!.p.id}`);
      }
    }
  }
}

describe("homeCell: spiral homes", () => {
  it("puts home 0 at the centre and the first ring around it", () => {
    expect(homeCell(0)).toEqual({ x: 0, y: 0 });
    const ring1 = Array.from({ length: 8 }, (_, i) => homeCellCoords(i + 1));
    expect(new Set(ring1.map((c) => `${c.cx},${c.cy}`)).size).toBe(8);
    for (const c of ring1) expect(Math.max(Math.abs(c.cx), Math.abs(c.cy))).toBe(1);
    expect(homeCellSize()).toBe(2640);
    expect(homeCell(1)).toEqual({ x: 2640, y: 0 });
  });

  it("hands out unique cells, filling each square ring before growing outward", () => {
    const seen = new Set<string>();
    let lastRing = 0;
    for (let i = 0; i < 50 * 50; i++) {
      const { cx, cy } = homeCellCoords(i);
      const key = `${cx},${cy}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      const ring = Math.max(Math.abs(cx), Math.abs(cy));
      expect(ring).toBeGreaterThanOrEqual(lastRing);
      expect(ring - lastRing).toBeLessThanOrEqual(1);
      lastRing = ring;
      // Neighbouring indices are neighbouring cells: the spiral never jumps.
      if (i > 0) {
        const prev = homeCellCoords(i - 1);
        expect(Math.max(Math.abs(prev.cx - cx), Math.abs(prev.cy - cy))).toBe(1);
      }
    }
    // 2,500 homes fill exactly the 49×49 square plus part of the next ring.
    expect([...seen].filter((k) => k.split(",").every((v) => Math.abs(Number(v)) <= 24)).length).toBe(49 * 49);
  });

  it("homeIndexOfCell inverts homeCellCoords (property)", () => {
    fc.assert(
      fc.property(fc.nat(2 ** 40), (i) => {
        const { cx, cy } = homeCellCoords(i);
        expect(homeIndexOfCell(cx, cy)).toBe(i);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 }), (cx, cy) => {
        expect(homeCellCoords(homeIndexOfCell(cx, cy))).toEqual({ cx, cy });
      }),
      { numRuns: 2000 },
    );
  });

  it("rejects indices that are not non-negative integers", () => {
    expect(() => homeCell(-1)).toThrow(RangeError);
    expect(() => homeCell(1.5)).toThrow(RangeError);
    expect(() => homeCell(Number.NaN)).toThrow(RangeError);
  });
});

describe("placePostIt: properties over random histories", () => {
  for (const [name, layout] of [
    ["small cells (spilling)", SMALL],
    ["default layout", DEFAULT_LAYOUT],
  ] as const) {
    it(`never overlaps anything, at any step (${name})`, () => {
      fc.assert(
        fc.property(historyArb(), (history) => {
          const state = new PlacementState(layout);
          replay(history, state, (step) => {
            if (!step.result) return;
            const mine = postItBounds(step.result, layout);
            for (const other of step.before) {
              if (rectsOverlap(mine, postItBounds(other, layout))) throw new Error(`${step.id} overlaps ${other.id}`);
            }
          });
          assertNoOverlap([...state.postIts()].map((p) => ({ ...p, home: p.accountHome })), layout);
        }),
        { numRuns: 150 },
      );
    });

    it(`never covers another account's home spot (${name})`, () => {
      fc.assert(
        fc.property(historyArb(), (history) => {
          const state = new PlacementState(layout);
          const live = replay(history, state);
          const cellSize = homeCellSize(layout);
          for (const p of live.values()) {
            const b = postItBounds(p, layout);
            const cx = Math.round(p.x / cellSize);
            const cy = Math.round(p.y / cellSize);
            for (let dy = -1; dy <= 1; dy++) {
              for (let dx = -1; dx <= 1; dx++) {
                const home = homeIndexOfCell(cx + dx, cy + dy);
                if (home !== p.home && rectsOverlap(b, homeSpotRect(home, layout))) {
                  throw new Error(`${p.id} of home ${p.home} covers home ${home}'s spot`);
                }
              }
            }
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it("pins an account's post-it at its home whenever the home spot is free, else in the innermost ring with room, on the emptiest side", () => {
    const layout = SMALL;
    const n = layout.homeCellSlots;
    fc.assert(
      fc.property(historyArb(5, 200), (history) => {
        const state = new PlacementState(layout);
        replay(history, state, (step) => {
          if (!step.result || step.op.op !== "place") return;
          const home = step.op.account;
          const taken = new Set(step.before.map((p) => slotOf(p, layout).join(",")));
          const { cx, cy } = homeCellCoords(home);
          const [hx, hy] = [cx * n, cy * n];
          // Independent model of "this slot may take a post-it of this account".
          const available = (sx: number, sy: number): boolean => {
            if (taken.has(`${sx},${sy}`)) return false;
            const ccx = Math.round(sx / n);
            const ccy = Math.round(sy / n);
            const R = layout.homeReserveRadius;
            const inSpot = Math.abs(sx - ccx * n) <= R && Math.abs(sy - ccy * n) <= R;
            return !inSpot || homeIndexOfCell(ccx, ccy) === home;
          };
          const [sx, sy] = slotOf(step.result, layout);
          expect(available(sx, sy)).toBe(true);
          const { ring, side } = ringSideOf(sx - hx, sy - hy);
          // Innermost: no ring closer to the home has a slot left for this account.
          for (let dy = -ring + 1; dy < ring; dy++) {
            for (let dx = -ring + 1; dx < ring; dx++) expect(available(hx + dx, hy + dy)).toBe(false);
          }
          if (ring === 0) return;
          // Emptiest side: no side of this ring with room had fewer unavailable slots.
          const used = [0, 0, 0, 0];
          const room = [false, false, false, false];
          for (let dy = -ring; dy <= ring; dy++) {
            for (let dx = -ring; dx <= ring; dx++) {
              const rs = ringSideOf(dx, dy);
              if (rs.ring !== ring) continue;
              if (available(hx + dx, hy + dy)) room[rs.side] = true;
              else used[rs.side]!++;
            }
          }
          const minUsed = Math.min(...used.filter((_, s) => room[s]));
          expect(used[side]).toBe(minUsed);
        });
      }),
      { numRuns: 120 },
    );
  });

  it("keeps the sides of every ring balanced: max − min own post-its per side ≤ 1 (placement-only, homes not crowded)", () => {
    // Bound: with up to 120 post-its per account on the default layout each account stays within its own cell's
    // rings 0..5, which no neighbour reaches, so every side of a ring differs from another by at most one.
    fc.assert(
      fc.property(
        fc.array(fc.record({ account: fc.nat(8), kind: fc.constantFrom<PostItKind>("agent", "creation") }), { maxLength: 600, size: "max" }),
        (placements) => {
          const perAccount = new Map<number, number>();
          const ops: Op[] = [];
          for (const p of placements) {
            const count = perAccount.get(p.account) ?? 0;
            if (count >= 120) continue;
            perAccount.set(p.account, count + 1);
            ops.push({ op: "place", ...p });
          }
          const state = new PlacementState();
          const live = replay(ops, state);
          const n = DEFAULT_LAYOUT.homeCellSlots;
          const counts = new Map<string, number[]>();
          for (const p of live.values()) {
            const { cx, cy } = homeCellCoords(p.home);
            const [sx, sy] = slotOf(p, DEFAULT_LAYOUT);
            const { ring, side } = ringSideOf(sx - cx * n, sy - cy * n);
            if (ring === 0) continue;
            const key = `${p.home}/${ring}`;
            const c = counts.get(key) ?? [0, 0, 0, 0];
            c[side]!++;
            counts.set(key, c);
          }
          for (const [key, c] of counts) {
            if (Math.max(...c) - Math.min(...c) > 1) throw new Error(`ring ${key} unbalanced: ${c.join(",")}`);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("is deterministic: the same history gives the same positions, and a state rebuilt from stored positions carries on identically", () => {
    fc.assert(
      fc.property(historyArb(5, 160), historyArb(5, 80), (prefix, suffix) => {
        const a = new PlacementState(SMALL);
        const b = new PlacementState(SMALL);
        const pa = replay(prefix, a);
        const pb = replay(prefix, b);
        expect([...pb.values()]).toEqual([...pa.values()]);
        // Rebuild from what a server would have stored, in a different order than placed.
        const rebuilt = new PlacementState(SMALL);
        for (const p of [...a.postIts()].reverse()) rebuilt.restore(p);
        expect(rebuilt.size).toBe(a.size);
        // Continue both with the same further history (ids offset so they don't clash with the prefix).
        const more = suffix.map((op) => (op.op === "place" ? op : op));
        const cont = (s: PlacementState) => {
          const out: Placement[] = [];
          more.forEach((op, i) => {
            if (op.op === "place") out.push(s.place({ accountHome: op.account, kind: op.kind, id: `late_${i}` }));
            else {
              const posts = [...s.postIts()].sort((p, q) => (p.id < q.id ? -1 : 1));
              if (posts.length > 0) expect(s.unplace(posts[op.pick % posts.length]!)).toBe(true);
            }
          });
          return out;
        };
        expect(cont(rebuilt)).toEqual(cont(a));
      }),
      { numRuns: 100 },
    );
  });
});

describe("placePostIt: behaviour", () => {
  it("pins the first post-it at the home, then rings around it, top/right/bottom/left in turn", () => {
    const s = new PlacementState();
    const home = homeCell(3);
    const first = s.place({ accountHome: 3, kind: "creation", id: "cre_1" });
    expect({ x: first.x, y: first.y }).toEqual(home);
    const slot = DEFAULT_LAYOUT.slotSize;
    const next = [2, 3, 4, 5].map((i) => s.place({ accountHome: 3, kind: "creation", id: `cre_${i}` }));
    expect(next.map((p) => [(p.x - home.x) / slot, (p.y - home.y) / slot])).toEqual([
      [0, -1],
      [1, 0],
      [0, 1],
      [-1, 0],
    ]);
  });

  it("spills a busy account beyond its cell without touching a neighbour's home spot", () => {
    const s = new PlacementState(SMALL);
    s.place({ accountHome: 1, kind: "creation", id: "neighbour" });
    const posts = Array.from({ length: 400 }, (_, i) => s.place({ accountHome: 0, kind: "creation", id: `c${i}` }));
    const cell = homeCellSize(SMALL);
    expect(posts.some((p) => Math.max(Math.abs(p.x), Math.abs(p.y)) > cell)).toBe(true);
    for (let h = 1; h < 25; h++) {
      const spot = homeSpotRect(h, SMALL);
      for (const p of posts) expect(rectsOverlap(postItBounds(p, SMALL), spot)).toBe(false);
    }
    // A home handed out later still finds its spot free.
    expect(s.place({ accountHome: 10, kind: "agent", id: "late-home" })).toMatchObject(homeCell(10, SMALL));
  });

  it("reuses a freed spot: unpublishing the home post-it lets the next one take the home", () => {
    const s = new PlacementState();
    const a = s.place({ accountHome: 0, kind: "creation", id: "a" });
    s.place({ accountHome: 0, kind: "creation", id: "b" });
    expect(s.unplace({ id: "b", x: a.x, y: a.y })).toBe(false); // wrong id for that spot
    expect(s.unplace({ id: "a", ...a })).toBe(true);
    expect(s.unplace({ id: "a", ...a })).toBe(false);
    expect(s.at(a.x, a.y)).toBeUndefined();
    expect(s.size).toBe(1);
    const c = s.place({ accountHome: 0, kind: "creation", id: "c" });
    expect({ x: c.x, y: c.y }).toEqual({ x: a.x, y: a.y });
  });

  it("reuses a spot a far-spilling account freed inside a neighbour's rings", () => {
    const s = new PlacementState(SMALL);
    // Account 0 floods; account 2 then fills its own ring 1 and moves on to ring 2 and beyond.
    for (let i = 0; i < 300; i++) s.place({ accountHome: 0, kind: "creation", id: `flood${i}` });
    const two = Array.from({ length: 30 }, (_, i) => s.place({ accountHome: 2, kind: "creation", id: `two${i}` }));
    const home2 = homeCell(2, SMALL);
    const slot = SMALL.slotSize;
    // Find a flood post-it within account 2's ring 2 and free it; account 2's next post-it must take it.
    const near = [...s.postIts()].find(
      (p) => p.accountHome === 0 && Math.max(Math.abs(p.x - home2.x), Math.abs(p.y - home2.y)) / slot === 2,
    );
    expect(near).toBeDefined();
    expect(two.length).toBe(30);
    expect(s.unplace(near!)).toBe(true);
    const again = s.place({ accountHome: 2, kind: "creation", id: "two-again" });
    expect({ x: again.x, y: again.y }).toEqual({ x: near!.x, y: near!.y });
  });

  it("reuses a spot freed two cells away from a far-spilling account's home", () => {
    const s = new PlacementState(SMALL);
    const far = 10; // a home in the second ring of cells, 10 slots from home 0
    const farPosts = Array.from({ length: 10 }, (_, i) => s.place({ accountHome: far, kind: "creation", id: `far${i}` }));
    for (let i = 0; i < 700; i++) s.place({ accountHome: 0, kind: "creation", id: `flood${i}` });
    const outer = Math.max(...[...s.postIts()].filter((p) => p.accountHome === 0).map((p) => Math.max(Math.abs(p.x), Math.abs(p.y))));
    // The far account's last post-it sits in its ring 2, outside its protected spot and inside home 0's rings.
    const freed = farPosts[9]!;
    expect(Math.max(Math.abs(freed.x), Math.abs(freed.y))).toBeLessThan(outer);
    expect(s.unplace({ id: "far9", ...freed })).toBe(true);
    const next = s.place({ accountHome: 0, kind: "creation", id: "flood-next" });
    expect({ x: next.x, y: next.y }).toEqual({ x: freed.x, y: freed.y });
  });

  it("handles far-off homes (beyond the dense cell array) like near ones", () => {
    const s = new PlacementState();
    for (const home of [2 ** 24 + 5, 2 ** 30, 3]) {
      const ps = Array.from({ length: 12 }, (_, i) => s.place({ accountHome: home, kind: "creation", id: `h${home}_${i}` }));
      expect(ps[0]).toMatchObject(homeCell(home));
      for (const [i, p] of ps.entries()) expect(s.at(p.x, p.y)?.id).toBe(`h${home}_${i}`);
      expect(s.unplace({ id: `h${home}_0`, ...ps[0]! })).toBe(true);
      expect(s.place({ accountHome: home, kind: "agent", id: `h${home}_again` })).toMatchObject(homeCell(home));
    }
    expect(s.size).toBe(36);
    expect(new Set([...s.postIts()].map((p) => `${p.x},${p.y}`)).size).toBe(36);
  });

  it("chooses rotation and colour from the id: slight, golden for agents, paper colours for creations", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.constantFrom<PostItKind>("agent", "creation"), (id, kind) => {
        const p1 = new PlacementState().place({ accountHome: 0, kind, id });
        const p2 = new PlacementState().place({ accountHome: 7, kind, id });
        expect(p1.rotation).toBe(p2.rotation);
        expect(p1.colour).toBe(p2.colour);
        expect(Math.abs(p1.rotation)).toBeLessThanOrEqual(DEFAULT_LAYOUT.maxRotationDeg);
        expect((kind === "agent" ? AGENT_COLOURS : CREATION_COLOURS) as readonly string[]).toContain(p1.colour);
      }),
    );
    // Different ids really do vary.
    const rotations = new Set(Array.from({ length: 50 }, (_, i) => new PlacementState().place({ accountHome: 0, kind: "creation", id: `cre_${i}` }).rotation));
    expect(rotations.size).toBeGreaterThan(20);
    const colours = new Set(Array.from({ length: 50 }, (_, i) => new PlacementState().place({ accountHome: 0, kind: "creation", id: `cre_${i}` }).colour));
    expect(colours.size).toBe(CREATION_COLOURS.length);
  });

  it("rejects bad requests, duplicates and conflicting restores", () => {
    const s = new PlacementState();
    const agent = s.place({ accountHome: 0, kind: "agent", id: "agt_1" });
    expect(s.at(agent.x, agent.y)).toEqual({ id: "agt_1", accountHome: 0, kind: "agent", ...agent });
    expect(() => s.place({ accountHome: 1.5, kind: "agent", id: "x" })).toThrow(PlacementError);
    expect(() => s.place({ accountHome: -1, kind: "agent", id: "x" })).toThrow(/accountHome/);
    expect(() => s.place({ accountHome: 0, kind: "note" as PostItKind, id: "x" })).toThrow(/kind/);
    expect(() => s.place({ accountHome: 0, kind: "agent", id: "" })).toThrow(/id/);
    expect(() => s.restore({ id: "y", accountHome: 0, kind: "creation", x: 0, y: 0 })).toThrow(/taken/);
    expect(() => s.restore({ id: "z", accountHome: 0, kind: "creation", x: 5, y: 0 })).toThrow(/slot centre/);
    expect(() => new PlacementState({ ...DEFAULT_LAYOUT, slotSize: 205 })).toThrow(/does not fit/);
    expect(() => new PlacementState({ ...DEFAULT_LAYOUT, homeCellSlots: 13 })).toThrow(/homeCellSlots/);
    expect(() => new PlacementState({ ...DEFAULT_LAYOUT, homeCellSlots: 4 })).toThrow(/homeCellSlots/);
    expect(s.size).toBe(1);
  });
});
