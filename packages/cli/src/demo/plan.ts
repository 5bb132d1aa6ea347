// The demo wall as a plan: who signs up, their agents, and every creation with the one it forks (if any).
// Pure and deterministic in (accounts, creations, seed): running the plan is seed.ts's job.
import type { OutputKind } from "@oto/sdk";
import {
  AGENT_COLOURS,
  type AgentSpec,
  MOOD_COUNT,
  PERSONAS,
  type Persona,
  SUBJECT_COUNT,
  TWIST_COUNT,
  agentSpec,
  forkPrompt,
  rootPrompt,
} from "./content.js";
import { type Random, seededRandom } from "./random.js";

export const KINDS: readonly OutputKind[] = ["text", "image", "voice", "video"];

export interface PlannedAgent extends AgentSpec {
  kind: OutputKind;
  color: string;
}

export interface PlannedAccount {
  index: number;
  persona: Persona;
  agents: Record<OutputKind, PlannedAgent>;
}

export interface PlannedCreation {
  index: number;
  /** Index of the account that makes it. */
  account: number;
  kind: OutputKind;
  prompt: string;
  /** Index of the creation it forks, always an earlier one; null for a root. */
  parent: number | null;
  /** 0 for a root, parent's depth + 1 for a fork. */
  depth: number;
  /** The generation's `seed` parameter, so equal prompts still differ. */
  seed: number;
  /** Index of the subject its chain is about (a fork keeps its root's). */
  subject: number;
}

export interface DemoPlan {
  accounts: PlannedAccount[];
  creations: PlannedCreation[];
}

export interface PlanOptions {
  accounts: number;
  creations: number;
  seed: number;
  /** The most creations one account can pay for (starter tokens / price of a run). */
  perAccount: number;
}

const MAX_DEPTH = 6;
// Forks of forks: the first forks form one chain of this many steps, each by another account.
const CHAIN = 3;
const ROOT_SHARE = 0.35;

/**
 * How many creations each account makes: a few prolific accounts and a long tail (weights 1/(i+1)^0.8), at
 * least one each when there are enough, never more than `perAccount`.
 */
export function quotas(accounts: number, creations: number, perAccount: number): number[] {
  const total = Math.min(creations, accounts * perAccount);
  const weights = Array.from({ length: accounts }, (_, i) => (i + 1) ** -0.8);
  const sum = weights.reduce((a, b) => a + b, 0);
  const floor = Math.min(1, Math.floor(total / accounts));
  const shares = weights.map((w) => Math.max(floor, Math.min(perAccount, Math.floor((total * w) / sum))));
  let left = total - shares.reduce((a, b) => a + b, 0);
  // Hand out (or take back) the rest one at a time, heaviest accounts first.
  for (let i = 0; left !== 0; i = (i + 1) % accounts) {
    if (left > 0 && shares[i]! < perAccount) {
      shares[i]! += 1;
      left -= 1;
    } else if (left < 0 && shares[accounts - 1 - i]! > floor) {
      shares[accounts - 1 - i]! -= 1;
      left += 1;
    }
  }
  return shares;
}

function planAccounts(count: number, rnd: Random): PlannedAccount[] {
  const personas = rnd.shuffle(PERSONAS);
  return Array.from({ length: count }, (_, index) => {
    const base = personas[index % personas.length]!;
    const round = Math.floor(index / personas.length);
    const persona = round === 0 ? base : { handle: `${base.handle}${round + 1}`, displayName: `${base.displayName} ${round + 1}` };
    const variant = rnd.int(4);
    const colour = rnd.int(AGENT_COLOURS.length);
    const agents = Object.fromEntries(
      KINDS.map((kind, k) => [
        kind,
        { ...agentSpec(kind, variant + k), kind, color: AGENT_COLOURS[(colour + k) % AGENT_COLOURS.length]! },
      ]),
    ) as Record<OutputKind, PlannedAgent>;
    return { index, persona, agents };
  });
}

/** A weighted pick: deeper creations and busier (earlier) accounts are forked more, so chains grow. */
function pickParent(rnd: Random, made: PlannedCreation[], owner: number): PlannedCreation | undefined {
  const open = made.filter((c) => c.depth < MAX_DEPTH);
  const others = open.filter((c) => c.account !== owner);
  const pool = others.length > 0 ? others : open;
  if (pool.length === 0) return undefined;
  const weights = pool.map((c) => (c.depth + 1) / (c.account + 1));
  let at = rnd.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < pool.length; i++) {
    at -= weights[i]!;
    if (at < 0) return pool[i];
  }
  return pool[pool.length - 1];
}

export function planDemo(options: PlanOptions): DemoPlan {
  const rnd = seededRandom(options.seed);
  const accounts = planAccounts(options.accounts, rnd);
  const left = quotas(options.accounts, options.creations, options.perAccount);

  // Round-robin over accounts with creations left: everyone's first creation is a root.
  const owners: Array<{ account: number; round: number }> = [];
  for (let round = 0; left.some((n) => n > 0); round++) {
    for (let account = 0; account < left.length; account++) {
      if (left[account]! > 0) {
        owners.push({ account, round });
        left[account]! -= 1;
      }
    }
  }

  const creations: PlannedCreation[] = [];
  let chainTip: PlannedCreation | undefined;
  let chained = 0;
  for (const { account, round } of owners) {
    const index = creations.length;
    const seed = rnd.int(2_147_483_647);
    let parent: PlannedCreation | undefined;
    if (round > 0 && rnd.next() >= ROOT_SHARE) {
      parent =
        chained < CHAIN && chainTip && chainTip.account !== account
          ? chainTip
          : pickParent(rnd, creations, account);
    }
    if (!parent) {
      const kind = KINDS[(account + round) % KINDS.length]!;
      const subject = rnd.int(SUBJECT_COUNT);
      const prompt = rootPrompt(subject, rnd.int(MOOD_COUNT));
      const root: PlannedCreation = { index, account, kind, prompt, parent: null, depth: 0, seed, subject };
      creations.push(root);
      chainTip ??= root;
      continue;
    }
    const fork: PlannedCreation = {
      index,
      account,
      kind: rnd.pick(KINDS),
      prompt: forkPrompt(parent.subject, rnd.int(TWIST_COUNT)),
      parent: parent.index,
      depth: parent.depth + 1,
      seed,
      subject: parent.subject,
    };
    creations.push(fork);
    if (parent === chainTip && chained < CHAIN) {
      chainTip = fork;
      chained += 1;
    }
  }
  return { accounts, creations };
}
