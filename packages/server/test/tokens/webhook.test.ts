import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { captureHold, holdTokens } from "../../src/tokens/ledger.js";
import { call, expectProblem, register } from "../helpers.js";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe.js";
import {
  balanceOf,
  checkout,
  deliver,
  historyOf,
  paymentState,
  signature,
  startPaymentsServer,
  stripeEvent,
} from "./support.js";

// Default packs: starter = 100 tokens for 500 (EUR cents). No starter grant, so balances are only purchases.
let fake: FakeStripe;
let server: RunningServer;

beforeAll(async () => {
  fake = await startFakeStripe();
  server = await startPaymentsServer(fake, { OTO_STARTER_TOKENS: "0" });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

async function paidSession(): Promise<{ apiKey: string; sessionId: string }> {
  const { apiKey } = await register(server);
  const sessionId = await checkout(server, apiKey);
  fake.complete(sessionId, "paid");
  return { apiKey, sessionId };
}

const completed = (sessionId: string, id?: string) =>
  stripeEvent("checkout.session.completed", { ...fake.session(sessionId) }, id);

describe("Stripe webhook: crediting", () => {
  it("a paid checkout.session.completed delivered 5 times credits once", async () => {
    const { apiKey, sessionId } = await paidSession();
    const event = completed(sessionId);
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await deliver(server, event);
      expect(res.status).toBe(200);
      outcomes.push(res.body.outcome);
      expect(res.body.received).toBe(true);
    }
    expect(outcomes).toEqual(["credited", "duplicate", "duplicate", "duplicate", "duplicate"]);
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
    const history = await historyOf(server, apiKey);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ kind: "purchase", amount: 100, available_after: 100, reference: `stripe:checkout:${sessionId}` });

    const purchase = await call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey });
    expect(purchase.body).toMatchObject({ session_id: sessionId, pack_id: "starter", tokens: 100, status: "credited" });
    expect(Date.parse(purchase.body.credited_at)).not.toBeNaN();
  });

  it("an event larger than the general 64 KB body limit is still read and credited; past 1 MiB it is refused", async () => {
    const { apiKey, sessionId } = await paidSession();
    // A Checkout Session with many line items: about 200 KB of event.
    const lineItems = Array.from({ length: 800 }, (_, i) => ({ id: `li_${i}`, object: "item", description: `Line item number ${i} `.repeat(10) }));
    const big = stripeEvent("checkout.session.completed", { ...fake.session(sessionId), line_items: { object: "list", data: lineItems } });
    expect(big.payload.length).toBeGreaterThan(150_000);
    const res = await deliver(server, big);
    expect(res.status, res.text).toBe(200);
    expect(res.body.outcome).toBe("credited");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });

    const huge = stripeEvent("checkout.session.completed", { ...fake.session(sessionId), padding: "x".repeat(1100 * 1024) });
    const refused = await deliver(server, huge);
    expectProblem(refused, 413, "payload_too_large");
    expect(refused.body.detail).toBe("The body is larger than 1048576 bytes.");
  });

  it("the same payment told by several events (new ids, async success, replays) credits once", async () => {
    const { apiKey, sessionId } = await paidSession();
    const outcomes = [];
    for (const event of [
      completed(sessionId),
      completed(sessionId), // Stripe may send a second event object for the same change
      stripeEvent("checkout.session.async_payment_succeeded", { ...fake.session(sessionId) }),
    ]) {
      outcomes.push((await deliver(server, event)).body.outcome);
    }
    expect(outcomes).toEqual(["credited", "already_credited", "already_credited"]);
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
  });

  it("concurrent duplicate deliveries credit once", async () => {
    const { apiKey, sessionId } = await paidSession();
    const same = completed(sessionId);
    const others = Array.from({ length: 5 }, () => completed(sessionId));
    const results = await Promise.all([
      ...Array.from({ length: 15 }, () => deliver(server, same)),
      ...others.map((e) => deliver(server, e)),
    ]);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const outcomes = results.map((r) => r.body.outcome);
    expect(outcomes.filter((o) => o === "credited")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(14);
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
    expect((await historyOf(server, apiKey)).filter((e) => e.kind === "purchase")).toHaveLength(1);
  });

  it("unsigned, tampered, wrongly signed or stale events answer 400 invalid_signature and change nothing", async () => {
    const { apiKey, sessionId } = await paidSession();
    const event = completed(sessionId);
    const before = await paymentState(server);

    const tampered = event.payload.replace('"amount_total": 500', '"amount_total": 5');
    expect(tampered).not.toBe(event.payload);
    const forged = stripeEvent("checkout.session.completed", { ...fake.session(sessionId), metadata: { tokens: "100000" } });
    const attempts = [
      deliver(server, event, { signature: null }), // unsigned
      deliver(server, event, { signature: "" }),
      deliver(server, event, { body: tampered }), // body changed after signing
      deliver(server, event, { signature: signature(event.payload, "whsec_someone_else") }),
      deliver(server, forged, { signature: signature(event.payload) }), // a real signature of another body
      deliver(server, event, { signature: signature(event.payload, undefined, Math.floor(Date.now() / 1000) - 3600) }), // replayed an hour later
      deliver(server, event, { signature: "t=1,v1=deadbeef" }),
      deliver(server, event, { signature: "garbage" }),
    ];
    for (const res of await Promise.all(attempts)) expectProblem(res, 400, "invalid_signature");
    expect(await paymentState(server)).toEqual(before);
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });

    // The genuine event still works afterwards.
    expect((await deliver(server, event)).body.outcome).toBe("credited");
  });

  it("a completed session whose payment is not yet confirmed credits nothing; async success credits it", async () => {
    const { apiKey } = await register(server);
    const sessionId = await checkout(server, apiKey);
    fake.complete(sessionId, "unpaid");
    const res = await deliver(server, completed(sessionId));
    expect(res.body.outcome).toBe("awaiting_payment");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });
    // Reading the purchase re-reads the session from Stripe: still unpaid, still nothing.
    const open = await call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey });
    expect(open.body).toMatchObject({ status: "open", credited_at: null });
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });

    fake.complete(sessionId, "paid");
    const succeeded = stripeEvent("checkout.session.async_payment_succeeded", { ...fake.session(sessionId) });
    expect((await deliver(server, succeeded)).body.outcome).toBe("credited");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
  });

  it("a failed async payment or an expired session closes the purchase without tokens", async () => {
    const { apiKey } = await register(server);
    const failing = await checkout(server, apiKey);
    fake.complete(failing, "unpaid");
    await deliver(server, completed(failing));
    const failed = await deliver(server, stripeEvent("checkout.session.async_payment_failed", { ...fake.session(failing) }));
    expect(failed.body.outcome).toBe("payment_failed");

    const abandoned = await checkout(server, apiKey);
    const expired = await deliver(server, stripeEvent("checkout.session.expired", fake.expire(abandoned)));
    expect(expired.body.outcome).toBe("expired");

    for (const id of [failing, abandoned]) {
      expect((await call(server, "GET", `/v1/tokens/checkout/${id}`, { apiKey })).body.status).toBe("expired");
    }
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });
  });

  it("events about sessions oTo did not create, and other event types, are acknowledged and ignored", async () => {
    const foreign = stripeEvent("checkout.session.completed", {
      id: "cs_test_not_ours",
      object: "checkout.session",
      payment_status: "paid",
      payment_intent: "pi_not_ours",
      metadata: {},
    });
    expect((await deliver(server, foreign)).body).toEqual({ received: true, outcome: "ignored" });
    const other = stripeEvent("customer.created", { id: "cus_1", object: "customer" });
    expect((await deliver(server, other)).body).toEqual({ received: true, outcome: "ignored" });
    expect((await deliver(server, other)).body).toEqual({ received: true, outcome: "duplicate" });
  });

  it("a paid session whose purchase row is missing is credited from the metadata oTo put on it", async () => {
    const { apiKey, accountId } = await register(server);
    const sessionId = await checkout(server, apiKey);
    fake.complete(sessionId, "paid");
    await server.app.db.query("DELETE FROM purchases WHERE session_id = $1", [sessionId]);
    expect(fake.session(sessionId).metadata).toEqual({ account_id: accountId, pack_id: "starter", tokens: "100" });
    expect((await deliver(server, completed(sessionId))).body.outcome).toBe("credited");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
  });
});

describe("Stripe webhook: refunds and disputes", () => {
  const refunded = (sessionId: string, cumulative: number) => stripeEvent("charge.refunded", fake.charge(sessionId, cumulative));

  it("refunds take back tokens × refunded / paid, and each partial refund counts once", async () => {
    const { apiKey, sessionId } = await paidSession();
    await deliver(server, completed(sessionId));

    const first = refunded(sessionId, 100); // 1.00 of 5.00 → 20 tokens
    expect((await deliver(server, first)).body.outcome).toBe("refunded");
    expect((await deliver(server, first)).body.outcome).toBe("duplicate");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 80, held: 0 });

    expect((await deliver(server, refunded(sessionId, 250))).body.outcome).toBe("refunded"); // second refund: 1.50 more
    expect(await balanceOf(server, apiKey)).toEqual({ available: 50, held: 0 });

    // A late copy of the first refund's state (new event id, older cumulative amount) changes nothing.
    expect((await deliver(server, refunded(sessionId, 100))).body.outcome).toBe("unchanged");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 50, held: 0 });

    expect((await deliver(server, refunded(sessionId, 500))).body.outcome).toBe("refunded");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });
    const refunds = (await historyOf(server, apiKey)).filter((e) => e.kind === "refund");
    expect(refunds.map((e) => e.amount)).toEqual([-50, -30, -20]);
    expect(new Set(refunds.map((e) => e.reference)).size).toBe(3);
    expect((await call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey })).body.status).toBe("refunded");
  });

  it("a refund of spent tokens takes the balance below zero, which stops spending", async () => {
    const { apiKey, accountId, sessionId } = await (async () => {
      const r = await register(server);
      const id = await checkout(server, r.apiKey);
      fake.complete(id, "paid");
      return { ...r, sessionId: id };
    })();
    await deliver(server, completed(sessionId));
    await spend(accountId, 60);
    expect(await balanceOf(server, apiKey)).toEqual({ available: 40, held: 0 });
    await deliver(server, refunded(sessionId, 500));
    expect(await balanceOf(server, apiKey)).toEqual({ available: -60, held: 0 });
    const err = await server.app.db
      .transaction((tx) => holdTokens(tx, { accountId, jobId: `job_${"9".repeat(26)}`, amount: 1 }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 402, code: "insufficient_tokens" });
  });

  it("a dispute takes the tokens back; reinstated funds give them back, once", async () => {
    const { apiKey, sessionId } = await paidSession();
    await deliver(server, completed(sessionId));

    const created = stripeEvent("charge.dispute.created", fake.dispute(sessionId, "needs_response"));
    expect((await deliver(server, created)).body.outcome).toBe("clawed_back");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });
    const withdrawn = stripeEvent("charge.dispute.funds_withdrawn", fake.dispute(sessionId, "needs_response"));
    expect((await deliver(server, withdrawn)).body.outcome).toBe("unchanged");

    const reinstated = stripeEvent("charge.dispute.funds_reinstated", fake.dispute(sessionId, "won"));
    expect((await deliver(server, reinstated)).body.outcome).toBe("restored");
    const closedWon = stripeEvent("charge.dispute.closed", fake.dispute(sessionId, "won"));
    expect((await deliver(server, closedWon)).body.outcome).toBe("unchanged");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
    const kinds = (await historyOf(server, apiKey)).map((e) => [e.kind, e.amount]);
    expect(kinds).toEqual([
      ["purchase", 100],
      ["clawback", -100],
      ["purchase", 100],
    ]);
  });

  it("a lost dispute keeps the tokens taken", async () => {
    const { apiKey, sessionId } = await paidSession();
    await deliver(server, completed(sessionId));
    await deliver(server, stripeEvent("charge.dispute.created", fake.dispute(sessionId, "needs_response")));
    expect((await deliver(server, stripeEvent("charge.dispute.closed", fake.dispute(sessionId, "lost")))).body.outcome).toBe(
      "unchanged",
    );
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });
  });
});

describe("Stripe webhook: events out of order", () => {
  it("a refund seen before the payment waits for it, then both apply", async () => {
    const { apiKey, sessionId } = await paidSession();
    const before = await balanceOf(server, apiKey);
    const refund = stripeEvent("charge.refunded", fake.charge(sessionId, 500));
    expect((await deliver(server, refund)).body.outcome).toBe("recorded");
    expect(await balanceOf(server, apiKey)).toEqual(before);

    expect((await deliver(server, completed(sessionId))).body.outcome).toBe("credited");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });
    expect((await historyOf(server, apiKey)).map((e) => [e.kind, e.amount])).toEqual([
      ["refund", -100],
      ["purchase", 100],
    ]);
    expect((await call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey })).body.status).toBe("refunded");
  });

  it("a won dispute seen before its creation never takes the tokens", async () => {
    const { apiKey, sessionId } = await paidSession();
    await deliver(server, completed(sessionId));
    expect((await deliver(server, stripeEvent("charge.dispute.closed", fake.dispute(sessionId, "won")))).body.outcome).toBe(
      "unchanged",
    );
    expect((await deliver(server, stripeEvent("charge.dispute.created", fake.dispute(sessionId, "needs_response")))).body.outcome).toBe(
      "unchanged",
    );
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
  });

  it("a late 'expired' or unpaid 'completed' does not undo a credited purchase", async () => {
    const { apiKey, sessionId } = await paidSession();
    const unpaidSnapshot = { ...fake.session(sessionId), payment_status: "unpaid" };
    await deliver(server, stripeEvent("checkout.session.async_payment_succeeded", { ...fake.session(sessionId) }));
    expect((await deliver(server, stripeEvent("checkout.session.completed", unpaidSnapshot))).body.outcome).toBe("already_credited");
    expect((await deliver(server, stripeEvent("checkout.session.expired", unpaidSnapshot))).body.outcome).toBe("unchanged");
    expect((await call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey })).body.status).toBe("credited");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
  });
});

describe("Stripe webhook without keys", () => {
  it("answers 503 payments_not_configured", async () => {
    const bare = await startTestServer();
    try {
      const event = stripeEvent("checkout.session.completed", { id: "cs_test_x", object: "checkout.session" });
      const res = await deliver(bare, event);
      expectProblem(res, 503, "payments_not_configured");
      expect(res.body.detail).toContain("STRIPE_WEBHOOK_SECRET");
    } finally {
      await bare.close();
    }
  });
});

/** Spends tokens the way a generation job does (hold, then capture). */
async function spend(accountId: string, amount: number): Promise<void> {
  const jobId = `job_${Date.now().toString(36).padStart(26, "0").slice(-26)}`;
  await server.app.db.transaction(async (tx) => {
    await holdTokens(tx, { accountId, jobId, amount });
    await captureHold(tx, { accountId, jobId });
  });
}
