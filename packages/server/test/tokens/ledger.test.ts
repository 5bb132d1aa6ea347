import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "../../src/problems.js";
import {
  captureHold,
  getBalance,
  holdTokens,
  listEntries,
  postEntry,
  releaseHold,
} from "../../src/tokens/ledger.js";
import { type TestDb, insertTestAccount, ledgerTotals, openTestDb } from "./test-db.js";

const onPostgres = Boolean(process.env.OTO_TEST_DATABASE_URL);
let t: TestDb;

beforeAll(async () => {
  t = await openTestDb(20);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

let jobCounter = 0;
const newJobId = () => `job_${String(++jobCounter).padStart(26, "0")}`;

async function expectConsistent(accountId: string): Promise<void> {
  expect(await ledgerTotals(t.db, accountId)).toEqual(await getBalance(t.db, accountId));
}

describe(`token ledger (${onPostgres ? "PostgreSQL" : "PGlite"})`, () => {
  it("holds, captures and releases, with one entry each", async () => {
    const acc = await insertTestAccount(t.db, { balance: 10 });
    const [spent, failed] = [newJobId(), newJobId()];
    await t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: spent, amount: 4 }));
    await t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: failed, amount: 3 }));
    expect(await getBalance(t.db, acc)).toEqual({ available: 3, held: 7 });

    expect(await t.db.transaction((tx) => captureHold(tx, { accountId: acc, jobId: spent }))).toBe(true);
    expect(await getBalance(t.db, acc)).toEqual({ available: 3, held: 3 });
    expect(await t.db.transaction((tx) => releaseHold(tx, { accountId: acc, jobId: failed, reason: "failed" }))).toBe(true);
    expect(await getBalance(t.db, acc)).toEqual({ available: 6, held: 0 });

    const entries = await listEntries(t.db, acc, 10, undefined);
    expect(entries.map((e) => [e.kind, e.amount, e.held_change, e.available_after, e.reference])).toEqual([
      ["release", 3, -3, 6, `job:${failed}:settle`],
      ["capture", 0, -4, 3, `job:${spent}:settle`],
      ["hold", -3, 3, 3, `job:${failed}:hold`],
      ["hold", -4, 4, 6, `job:${spent}:hold`],
      ["adjustment", 10, 0, 10, `test:fund:${acc}`],
    ]);
    expect(entries[0]!.job_id).toBe(failed);
    expect(entries[0]!.id).toMatch(/^le_[0-9a-z]{26}$/);
    await expectConsistent(acc);
  });

  it("settles a job once: a second capture or release changes nothing", async () => {
    const acc = await insertTestAccount(t.db, { balance: 5 });
    const job = newJobId();
    await t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: job, amount: 5 }));
    expect(await t.db.transaction((tx) => captureHold(tx, { accountId: acc, jobId: job }))).toBe(true);
    expect(await t.db.transaction((tx) => captureHold(tx, { accountId: acc, jobId: job }))).toBe(false);
    expect(await t.db.transaction((tx) => releaseHold(tx, { accountId: acc, jobId: job, reason: "late" }))).toBe(false);
    expect(await getBalance(t.db, acc)).toEqual({ available: 0, held: 0 });
    // A job that never held anything has nothing to settle.
    expect(await t.db.transaction((tx) => releaseHold(tx, { accountId: acc, jobId: newJobId(), reason: "x" }))).toBe(false);
    await expectConsistent(acc);
  });

  it("refuses a hold the balance does not cover, with the price and what is available", async () => {
    const acc = await insertTestAccount(t.db, { balance: 2 });
    const job = newJobId();
    const err = await t.db
      .transaction(async (tx) => {
        await tx.query("SELECT 1"); // the caller's other work in the same transaction is rolled back too
        await holdTokens(tx, { accountId: acc, jobId: job, amount: 4 });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ statusCode: 402, code: "insufficient_tokens", price: 4, available: 2 });
    expect((err as ApiError).message).toBe("This run costs 4 tokens and 2 are available.");
    expect(await getBalance(t.db, acc)).toEqual({ available: 2, held: 0 });
    expect(await listEntries(t.db, acc, 10, undefined)).toHaveLength(1);
  });

  it("a free run (0 tokens) holds and settles like any other", async () => {
    const acc = await insertTestAccount(t.db);
    const job = newJobId();
    await t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: job, amount: 0 }));
    expect(await t.db.transaction((tx) => captureHold(tx, { accountId: acc, jobId: job }))).toBe(true);
    expect(await getBalance(t.db, acc)).toEqual({ available: 0, held: 0 });
  });

  it("200 concurrent holds against a balance that pays for 50: exactly 50 succeed and nothing is overspent", async () => {
    const acc = await insertTestAccount(t.db, { balance: 200 });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: newJobId(), amount: 4 }))),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(150);
    for (const r of refused) expect(r.reason).toMatchObject({ statusCode: 402, code: "insufficient_tokens" });
    expect(await getBalance(t.db, acc)).toEqual({ available: 0, held: 200 });
    const holds = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ledger_entries WHERE account_id = $1 AND kind = 'hold'",
      [acc],
    );
    expect(holds[0]!.n).toBe(50);
    await expectConsistent(acc);
  }, 60_000);

  it("concurrent captures and releases of the same job settle it exactly once", async () => {
    const acc = await insertTestAccount(t.db, { balance: 30 });
    const jobs = Array.from({ length: 10 }, () => newJobId());
    for (const job of jobs) await t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: job, amount: 3 }));
    const attempts = jobs.flatMap((job) =>
      Array.from({ length: 6 }, (_, i) =>
        t.db.transaction((tx) =>
          i % 2 === 0 ? captureHold(tx, { accountId: acc, jobId: job }) : releaseHold(tx, { accountId: acc, jobId: job, reason: "race" }),
        ),
      ),
    );
    const settled = await Promise.all(attempts);
    expect(settled.filter(Boolean)).toHaveLength(10);
    const balance = await getBalance(t.db, acc);
    expect(balance.held).toBe(0);
    const settles = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ledger_entries WHERE account_id = $1 AND kind IN ('capture', 'release')",
      [acc],
    );
    expect(settles[0]!.n).toBe(10);
    await expectConsistent(acc);
  }, 60_000);

  it("an entry's reference counts once, even when posted concurrently", async () => {
    const acc = await insertTestAccount(t.db);
    const post = () =>
      t.db.transaction((tx) =>
        postEntry(tx, { accountId: acc, kind: "purchase", amount: 100, reference: `stripe:checkout:cs_${acc}`, description: "pack" }),
      );
    const results = await Promise.all(Array.from({ length: 20 }, post));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await post()).toBeNull();
    expect(await getBalance(t.db, acc)).toEqual({ available: 100, held: 0 });
    await expectConsistent(acc);
  }, 60_000);

  it("refunds and clawbacks may go below zero, which then blocks spending; other debits may not", async () => {
    const acc = await insertTestAccount(t.db, { balance: 10 });
    await t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: newJobId(), amount: 8 }));
    const removal = await t.db
      .transaction((tx) => postEntry(tx, { accountId: acc, kind: "adjustment", amount: -5, reference: `test:rm:${acc}`, description: "x" }))
      .catch((e: unknown) => e);
    expect(removal).toMatchObject({ statusCode: 402, code: "insufficient_tokens", price: 5, available: 2 });

    const claw = await t.db.transaction((tx) =>
      postEntry(tx, { accountId: acc, kind: "clawback", amount: -10, reference: `test:claw:${acc}`, description: "dispute" }),
    );
    expect(claw).toMatchObject({ kind: "clawback", amount: -10, available_after: -8, held_change: 0 });
    expect(await getBalance(t.db, acc)).toEqual({ available: -8, held: 8 });
    const err = await t.db.transaction((tx) => holdTokens(tx, { accountId: acc, jobId: newJobId(), amount: 1 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 402, available: -8, price: 1 });
    await expectConsistent(acc);
  });

  it("the ledger is append-only: entries cannot be changed or removed", async () => {
    const acc = await insertTestAccount(t.db, { balance: 1 });
    await expect(t.db.query("UPDATE ledger_entries SET amount = 1000 WHERE account_id = $1", [acc])).rejects.toThrow(/append-only/);
    await expect(t.db.query("DELETE FROM ledger_entries WHERE account_id = $1", [acc])).rejects.toThrow(/append-only/);
    await expect(
      t.db.query("UPDATE token_balances SET held = -1 WHERE account_id = $1", [acc]),
    ).rejects.toThrow(/check constraint/);
    await expectConsistent(acc);
  });
});
