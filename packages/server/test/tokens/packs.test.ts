import { describe, expect, it } from "vitest";
import { startTestServer } from "../../src/testing.js";
import { call, register } from "../helpers.js";

const DEFAULT_PACKS = [
  { id: "starter", name: "Starter pack", tokens: 100, price: { amount: 500, currency: "eur" } },
  { id: "creator", name: "Creator pack", tokens: 500, price: { amount: 2000, currency: "eur" } },
  { id: "studio", name: "Studio pack", tokens: 2000, price: { amount: 6000, currency: "eur" } },
];

describe("GET /v1/tokens/packs", () => {
  it("lists the packs to anyone, saying payments are off without Stripe keys", async () => {
    const server = await startTestServer();
    try {
      const res = await call(server, "GET", "/v1/tokens/packs");
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ payments_enabled: false, data: DEFAULT_PACKS });
      const { apiKey } = await register(server);
      expect((await call(server, "GET", "/v1/tokens/packs", { apiKey })).body).toEqual(res.body);
    } finally {
      await server.close();
    }
  });

  it("lists the configured packs, with payments on when both Stripe keys are set", async () => {
    const packs = [{ id: "tiny", name: "Tiny", tokens: 10, price: { amount: 99, currency: "usd" } }];
    const server = await startTestServer({
      OTO_TOKEN_PACKS: JSON.stringify(packs),
      STRIPE_SECRET_KEY: "sk_test_packs",
      STRIPE_WEBHOOK_SECRET: "whsec_packs",
    });
    try {
      expect((await call(server, "GET", "/v1/tokens/packs")).body).toEqual({ payments_enabled: true, data: packs });
    } finally {
      await server.close();
    }
  });
});
