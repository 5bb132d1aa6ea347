// RunPod's webhook carries no signature (notes §1.6), so the URL we hand to RunPod carries an unguessable
// per-job token: base64url(HMAC-SHA256(serverSecret, jobId)). A verified call is still only a hint that
// something happened: the receiver must re-read GET /status before settling anything.
import { createHmac, timingSafeEqual } from "node:crypto";

const MIN_SECRET_BYTES = 16;

export function runpodWebhookToken(serverSecret: string | Uint8Array, jobId: string): string {
  const secret = typeof serverSecret === "string" ? Buffer.from(serverSecret, "utf8") : Buffer.from(serverSecret);
  if (secret.byteLength < MIN_SECRET_BYTES) {
    throw new Error(`the RunPod webhook secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (jobId === "") throw new Error("a RunPod webhook token needs a job id");
  return createHmac("sha256", secret).update(jobId, "utf8").digest("base64url");
}

/** `${publicBaseUrl}${path}/${jobId}?t=<token>`: the URL to pass as SubmitOptions.webhookUrl. */
export function runpodWebhookUrl(options: {
  publicBaseUrl: string;
  jobId: string;
  serverSecret: string | Uint8Array;
  path?: string;
}): string {
  const path = (options.path ?? "/v1/hooks/runpod").replace(/\/+$/, "");
  const url = new URL(`${path}/${encodeURIComponent(options.jobId)}`, options.publicBaseUrl.replace(/\/+$/, "") + "/");
  url.searchParams.set("t", runpodWebhookToken(options.serverSecret, options.jobId));
  return url.toString();
}

/** Constant-time check of the token from the webhook URL's `t` parameter. */
export function verifyRunpodWebhook(options: {
  serverSecret: string | Uint8Array;
  jobId: string;
  token: string | undefined | null;
}): boolean {
  if (typeof options.token !== "string" || options.token === "" || options.jobId === "") return false;
  const expected = Buffer.from(runpodWebhookToken(options.serverSecret, options.jobId), "utf8");
  const given = Buffer.from(options.token, "utf8");
  return given.byteLength === expected.byteLength && timingSafeEqual(given, expected);
}

/** What the webhook body claims (RunPod posts the /status job object). Use it only to decide to re-read. */
export function readRunpodWebhookHint(body: unknown): { runpodJobId: string; status: string } | undefined {
  if (!body || typeof body !== "object") return undefined;
  const { id, status } = body as { id?: unknown; status?: unknown };
  return typeof id === "string" && typeof status === "string" ? { runpodJobId: id, status } : undefined;
}
