// A local server that speaks the Stripe endpoints oTo uses, for tests (notes-generation-tokens.md §3).
// Real HTTP on 127.0.0.1; the official stripe SDK is pointed at it with {host, port, protocol}.
// - POST /v1/checkout/sessions: form-encoded (nested keys like line_items[0][price_data][currency]),
//   Bearer secret key, Idempotency-Key honoured like Stripe (same key → same answer); answers a
//   checkout.session object.
// - GET /v1/checkout/sessions/:id: the session as it is now (tests move it with pay()/expire()).
// Everything received is recorded in `requests`. Objects for webhook events (sessions, charges,
// disputes) are built here too, so that tests send what Stripe would send.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** The form body, decoded into nested objects/arrays. */
  form: Record<string, unknown>;
}

export type FakeSession = Record<string, unknown> & {
  id: string;
  object: "checkout.session";
  url: string | null;
  status: "open" | "complete" | "expired";
  payment_status: "unpaid" | "paid" | "no_payment_required";
  payment_intent: string | null;
  amount_total: number;
  currency: string;
  metadata: Record<string, string>;
  client_reference_id: string | null;
  expires_at: number;
};

const randomId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

/** Decodes Stripe's form encoding (qs-style brackets, array indices) into nested values. */
export function decodeStripeForm(body: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> | unknown[] = root;
    path.forEach((part, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      const slot = node as Record<string, unknown>;
      if (last) slot[part] = value;
      else {
        slot[part] ??= nextIsIndex ? [] : {};
        node = slot[part] as Record<string, unknown>;
      }
    });
  }
  return root;
}

function stripeError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json", "request-id": randomId("req") });
  res.end(JSON.stringify({ error: { type, message } }));
}

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  readonly sessions = new Map<string, FakeSession>();
  private readonly idempotent = new Map<string, { status: number; body: string }>();
  /** Answer the next N session creations with 500 api_error. */
  failNext = 0;
  private server: Server | undefined;
  url = "";

  constructor(readonly secretKey = "sk_test_oto_fake") {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => this.handle(req, Buffer.concat(chunks).toString("utf8"), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0]!;
    const form = req.method === "POST" ? decodeStripeForm(body) : {};
    this.requests.push({ method: req.method ?? "", path, headers: req.headers, form });
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return stripeError(res, 401, "invalid_request_error", "Invalid API Key provided: sk_test_****");
    }
    if (req.method === "POST" && path === "/v1/checkout/sessions") {
      const key = req.headers["idempotency-key"];
      const seen = typeof key === "string" ? this.idempotent.get(key) : undefined;
      if (seen) {
        res.writeHead(seen.status, { "content-type": "application/json", "idempotent-replayed": "true" });
        return void res.end(seen.body);
      }
      if (this.failNext > 0) {
        this.failNext--;
        return stripeError(res, 500, "api_error", "Something went wrong on Stripe's end.");
      }
      const session = this.createSession(form);
      const answer = { status: 200, body: JSON.stringify(session) };
      if (typeof key === "string") this.idempotent.set(key, answer);
      res.writeHead(answer.status, { "content-type": "application/json" });
      return void res.end(answer.body);
    }
    const match = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (req.method === "GET" && match) {
      const session = this.sessions.get(decodeURIComponent(match[1]!));
      if (!session) return stripeError(res, 404, "invalid_request_error", `No such checkout.session: '${match[1]}'`);
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify(session));
    }
    stripeError(res, 404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${path}).`);
  }

  private createSession(form: Record<string, unknown>): FakeSession {
    const items = (form.line_items as Array<Record<string, any>> | undefined) ?? [];
    const amount = items.reduce(
      (sum, item) => sum + Number(item.price_data?.unit_amount ?? 0) * Number(item.quantity ?? 1),
      0,
    );
    const id = `cs_test_${randomBytes(16).toString("hex")}`;
    const session: FakeSession = {
      id,
      object: "checkout.session",
      url: `${this.url}/c/pay/${id}`,
      mode: String(form.mode),
      status: "open",
      payment_status: "unpaid",
      payment_intent: null,
      amount_total: amount,
      currency: String(items[0]?.price_data?.currency ?? "eur"),
      metadata: (form.metadata as Record<string, string>) ?? {},
      client_reference_id: (form.client_reference_id as string | undefined) ?? null,
      success_url: form.success_url,
      cancel_url: form.cancel_url,
      created: Math.floor(Date.now() / 1000),
      expires_at: Math.floor(Date.now() / 1000) + 24 * 3600,
      livemode: false,
    };
    this.sessions.set(id, session);
    return session;
  }

  /** The customer paid (or, with "unpaid", finished a checkout whose payment confirms later). */
  complete(sessionId: string, paymentStatus: FakeSession["payment_status"] = "paid"): FakeSession {
    const session = this.session(sessionId);
    session.status = "complete";
    session.payment_status = paymentStatus;
    session.payment_intent ??= randomId("pi_test");
    return { ...session };
  }

  expire(sessionId: string): FakeSession {
    const session = this.session(sessionId);
    session.status = "expired";
    session.url = null;
    return { ...session };
  }

  session(sessionId: string): FakeSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`fake Stripe has no session ${sessionId}`);
    return session;
  }

  /** The charge of a completed session's payment, with this much refunded so far (cumulative). */
  charge(sessionId: string, amountRefunded = 0): Record<string, unknown> {
    const session = this.session(sessionId);
    if (!session.payment_intent) throw new Error(`session ${sessionId} has no payment yet`);
    return {
      id: `ch_${session.payment_intent.slice(3)}`,
      object: "charge",
      amount: session.amount_total,
      amount_captured: session.amount_total,
      amount_refunded: amountRefunded,
      refunded: amountRefunded >= session.amount_total,
      currency: session.currency,
      payment_intent: session.payment_intent,
      paid: true,
      status: "succeeded",
    };
  }

  /** A dispute of a completed session's payment. */
  dispute(sessionId: string, status: string, amount?: number): Record<string, unknown> {
    const charge = this.charge(sessionId);
    return {
      id: `dp_${String(charge.id).slice(3)}`,
      object: "dispute",
      amount: amount ?? charge.amount,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      currency: charge.currency,
      reason: "fraudulent",
      status,
    };
  }
}

export async function startFakeStripe(secretKey?: string): Promise<FakeStripe> {
  return new FakeStripe(secretKey).start();
}
