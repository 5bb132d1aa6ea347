// The demo plan: deterministic in its seed, within every account's budget, with forks of forks across accounts.
import { describe, expect, it } from "vitest";
import { type DemoPlan, KINDS, planDemo, quotas } from "../src/demo/plan.js";

const plan = (accounts: number, creations: number, seed: number, perAccount = 50): DemoPlan =>
  planDemo({ accounts, creations, seed, perAccount });

/** The chain of accounts from a creation up to its root. */
function ancestry(p: DemoPlan, index: number): number[] {
  const chain: number[] = [];
  for (let at: number | null = index; at !== null; at = p.creations[at]!.parent) chain.push(at);
  return chain;
}

describe("demo plan", () => {
  it("is the same for the same seed and differs for another", () => {
    expect(plan(12, 60, 7)).toEqual(plan(12, 60, 7));
    const prompts = (p: DemoPlan) => p.creations.map((c) => c.prompt);
    expect(prompts(plan(12, 60, 7))).not.toEqual(prompts(plan(12, 60, 8)));
  });

  it("gives every account one agent of each kind and distinct handles", () => {
    const p = plan(30, 60, 3);
    for (const account of p.accounts) expect(Object.keys(account.agents).sort()).toEqual([...KINDS].sort());
    const handles = p.accounts.map((a) => a.persona.handle);
    expect(new Set(handles).size).toBe(30);
    for (const handle of handles) expect(handle).toMatch(/^[a-z][a-z0-9_-]{2,31}$/);
  });

  it("makes exactly the creations asked for, within each account's budget, everyone at least once", () => {
    for (const [accounts, creations, budget] of [
      [12, 60, 50],
      [1, 60, 50],
      [3, 7, 50],
      [5, 3, 50],
      [4, 400, 50],
      [2, 10, 3],
    ] as const) {
      const q = quotas(accounts, creations, budget);
      expect(q.reduce((a, b) => a + b, 0)).toBe(Math.min(creations, accounts * budget));
      for (const n of q) expect(n).toBeLessThanOrEqual(budget);
      if (creations >= accounts) for (const n of q) expect(n).toBeGreaterThanOrEqual(1);
      const p = plan(accounts, creations, 1, budget);
      expect(p.creations).toHaveLength(Math.min(creations, accounts * budget));
      const perAccount = new Map<number, number>();
      for (const c of p.creations) perAccount.set(c.account, (perAccount.get(c.account) ?? 0) + 1);
      expect([...perAccount.values()].every((n) => n <= budget)).toBe(true);
    }
  });

  it("forks only earlier creations, and builds a chain at least 3 forks deep across accounts", () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const p = plan(12, 60, seed);
      for (const c of p.creations) {
        if (c.parent === null) expect(c.depth).toBe(0);
        else {
          expect(c.parent).toBeLessThan(c.index);
          expect(c.depth).toBe(p.creations[c.parent]!.depth + 1);
        }
      }
      const deepest = p.creations.reduce((a, b) => (b.depth > a.depth ? b : a));
      expect(deepest.depth).toBeGreaterThanOrEqual(3);
      // Some chain of 4 creations (root + 3 forks) where each step changes account.
      const crossing = p.creations.some((c) => {
        const chain = ancestry(p, c.index).map((i) => p.creations[i]!.account);
        return chain.length >= 4 && chain.every((account, i) => i === 0 || account !== chain[i - 1]);
      });
      expect(crossing, `seed ${seed}`).toBe(true);
      // Every kind is made.
      expect(new Set(p.creations.map((c) => c.kind))).toEqual(new Set(KINDS));
    }
  });
});
