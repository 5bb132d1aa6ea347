import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../../src/server.js";
import { startTestServer } from "../../src/testing.js";
import { call, expectProblem, register } from "../helpers.js";
import { type FakeStripe, startFakeStripe } from "../support/fake-stripe.js";
import { WEBHOOK_SECRET, balanceOf, checkout, deliver, startPaymentsServer, stripeEvent } from "./support.js";

let fake: FakeStripe;
let server: RunningServer;

beforeAll(async () => {
  fake = await startFakeStripe();
  server = await startPaymentsServer(fake, { OTO_STARTER_TOKENS: "0", OTO_PUBLIC_URL: "https://oto.example" });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

const sessionRequests = () => fake.requests.filter((r) => r.method === "POST" && r.path === "/v1/checkout/sessions");

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("POST /v1/tokens/checkout", () => {
  it("creates a Stripe Checkout Session for the pack with the stripe SDK and records an open purchase", async () => {
    const { apiKey, accountId } = await register(server);
    const before = sessionRequests().length;
    const res = await call(server, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: "creator" } });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^cs_test_/);
    expect(res.body.url).toBe(`${fake.url}/c/pay/${res.body.id}`);
    expect(res.body.pack).toEqual({ id: "creator", name: "Creator pack", tokens: 500, price: { amount: 2000, currency: "eur" } });
    expect(Date.parse(res.body.expires_at)).toBeGreaterThan(Date.now());

    const sent = sessionRequests();
    expect(sent).toHaveLength(before + 1);
    const request = sent[sent.length - 1]!;
    expect(request.headers.authorization).toBe(`Bearer ${fake.secretKey}`);
    expect(request.headers["content-type"]).toContain("application/x-www-form-urlencoded");
    expect(request.headers["idempotency-key"]).toMatch(/^oto-checkout-[0-9a-f]{64}$/);
    expect(request.form).toMatchObject({
      mode: "payment",
      client_reference_id: accountId,
      metadata: { account_id: accountId, pack_id: "creator", tokens: "500" },
      payment_intent_data: { metadata: { account_id: accountId, pack_id: "creator", tokens: "500" } },
      line_items: [
        { quantity: "1", price_data: { currency: "eur", unit_amount: "2000", product_data: { name: "Creator pack" } } },
      ],
      success_url: "https://oto.example/?checkout=success&session_id={CHECKOUT_SESSION_ID}",
      cancel_url: "https://oto.example/?checkout=canceled",
    });

    const purchase = await call(server, "GET", `/v1/tokens/checkout/${res.body.id}`, { apiKey });
    expect(purchase.status).toBe(200);
    expect(purchase.body).toMatchObject({ session_id: res.body.id, pack_id: "creator", tokens: 500, status: "open", credited_at: null });
    // Nothing is credited before Stripe confirms the payment.
    expect(await balanceOf(server, apiKey)).toEqual({ available: 0, held: 0 });
  });

  it("passes the client's return URLs to Stripe", async () => {
    const { apiKey } = await register(server);
    const res = await call(server, "POST", "/v1/tokens/checkout", {
      apiKey,
      json: { pack_id: "starter", success_url: "http://127.0.0.1:9/done", cancel_url: "http://127.0.0.1:9/back" },
    });
    expect(res.status).toBe(201);
    const request = sessionRequests().at(-1)!;
    expect(request.form).toMatchObject({ success_url: "http://127.0.0.1:9/done", cancel_url: "http://127.0.0.1:9/back" });
  });

  it("one Idempotency-Key gives one session; separate requests get separate sessions and Stripe keys", async () => {
    const { apiKey } = await register(server);
    const before = sessionRequests().length;
    const headers = { "idempotency-key": "buy-once-1" };
    const first = await call(server, "POST", "/v1/tokens/checkout", { apiKey, headers, json: { pack_id: "starter" } });
    const again = await call(server, "POST", "/v1/tokens/checkout", { apiKey, headers, json: { pack_id: "starter" } });
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(sessionRequests()).toHaveLength(before + 1);

    const a = await checkout(server, apiKey);
    const b = await checkout(server, apiKey);
    expect(a).not.toBe(b);
    const keys = sessionRequests().slice(-2).map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it("an unknown pack answers 404 and asks nothing of Stripe", async () => {
    const { apiKey } = await register(server);
    const before = fake.requests.length;
    const res = await call(server, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: "mega" } });
    expectProblem(res, 404, "not_found");
    expect(res.body.detail).toContain("GET /v1/tokens/packs");
    expect(fake.requests).toHaveLength(before);
    expectProblem(await call(server, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: "Bad Id" } }), 400, "validation_failed");
    expectProblem(await call(server, "POST", "/v1/tokens/checkout", { json: { pack_id: "starter" } }), 401, "missing_api_key");
  });

  it("a purchase is visible to its buyer only", async () => {
    const buyer = await register(server);
    const other = await register(server);
    const sessionId = await checkout(server, buyer.apiKey);
    expectProblem(await call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey: other.apiKey }), 404, "not_found");
    expectProblem(await call(server, "GET", "/v1/tokens/checkout/cs_test_unknown", { apiKey: buyer.apiKey }), 404, "not_found");
  });

  it("the buyer's return (reading the purchase) credits a paid session once, like the webhook", async () => {
    const { apiKey } = await register(server);
    const sessionId = await checkout(server, apiKey);
    fake.complete(sessionId, "paid");
    const polled = await Promise.all(Array.from({ length: 5 }, () => call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey })));
    for (const res of polled) expect(res.body.status).toBe("credited");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
    const hook = await deliver(server, stripeEvent("checkout.session.completed", { ...fake.session(sessionId) }));
    expect(hook.body.outcome).toBe("already_credited");
    expect(await balanceOf(server, apiKey)).toEqual({ available: 100, held: 0 });
  });

  it("an expired session read back from Stripe closes the purchase", async () => {
    const { apiKey } = await register(server);
    const sessionId = await checkout(server, apiKey);
    fake.expire(sessionId);
    expect((await call(server, "GET", `/v1/tokens/checkout/${sessionId}`, { apiKey })).body.status).toBe("expired");
  });

  it("Stripe failing answers 502 upstream_error and records nothing", async () => {
    const { apiKey, accountId } = await register(server);
    fake.failNext = 3; // the SDK retries twice with the same Idempotency-Key
    const before = sessionRequests().length;
    const res = await call(server, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: "starter" } });
    expectProblem(res, 502, "upstream_error");
    const attempts = sessionRequests().slice(before);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.headers["idempotency-key"])).size).toBe(1);
    const purchases = await server.app.db.query("SELECT 1 FROM purchases WHERE account_id = $1", [accountId]);
    expect(purchases).toHaveLength(0);
  }, 30_000);

  it("Stripe unreachable answers 502 upstream_error", async () => {
    const port = await closedPort();
    const offline = await startTestServer({
      STRIPE_SECRET_KEY: "sk_test_offline",
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: `http://127.0.0.1:${port}`,
    });
    try {
      const { apiKey } = await register(offline);
      const res = await call(offline, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: "starter" } });
      expectProblem(res, 502, "upstream_error");
      expect(res.body.detail).toBe("Stripe did not answer; nothing was charged. Try again.");
      // Reading a purchase while Stripe is away answers what oTo knows.
      const buyer = await register(offline);
      await offline.app.db.query(
        `INSERT INTO purchases (session_id, account_id, pack_id, tokens, amount, currency, status, created_at, updated_at)
         VALUES ('cs_test_offline', $1, 'starter', 100, 500, 'eur', 'open', now(), now())`,
        [buyer.accountId],
      );
      const stored = await call(offline, "GET", "/v1/tokens/checkout/cs_test_offline", { apiKey: buyer.apiKey });
      expect(stored.status).toBe(200);
      expect(stored.body).toMatchObject({ session_id: "cs_test_offline", status: "open", credited_at: null });
    } finally {
      await offline.close();
    }
  }, 30_000);

  it("a key Stripe refuses answers 502 upstream_error with Stripe's reason", async () => {
    const wrong = await startTestServer({
      STRIPE_SECRET_KEY: "sk_test_wrong",
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: fake.url,
    });
    try {
      const { apiKey } = await register(wrong);
      const res = await call(wrong, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: "starter" } });
      expectProblem(res, 502, "upstream_error");
      expect(res.body.detail).toContain("Invalid API Key");
    } finally {
      await wrong.close();
    }
  });
});

describe("without Stripe keys", () => {
  it("buying answers 503 payments_not_configured, saying how to configure it", async () => {
    for (const env of [{}, { STRIPE_SECRET_KEY: "sk_test_only_half" }] as Record<string, string>[]) {
      const bare = await startTestServer(env);
      try {
        const { apiKey } = await register(bare);
        const res = await call(bare, "POST", "/v1/tokens/checkout", { apiKey, json: { pack_id: "starter" } });
        expectProblem(res, 503, "payments_not_configured");
        expect(res.body.detail).toContain("STRIPE_SECRET_KEY");
        expect(res.body.detail).toContain("STRIPE_WEBHOOK_SECRET");
        expect(res.body.detail).toContain("oto admin grant");
        const packs = await call(bare, "GET", "/v1/tokens/packs");
        expect(packs.body.payments_enabled).toBe(false);
      } finally {
        await bare.close();
      }
    }
  });
});
