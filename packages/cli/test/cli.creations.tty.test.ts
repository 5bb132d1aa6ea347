// The built `oto` binary on a terminal (node-pty) and with pipes, for what needs one or the other:
// the agents wizard, the generate spinner and Ctrl-C, and buying tokens through a local server that
// speaks Stripe's endpoints (the server package's fake), credited by a signed webhook.
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer } from "@oto/server/testing";
import { type FakeStripe, startFakeStripe } from "../../server/test/support/fake-stripe.js";
import {
  OTO_BIN,
  PASSWORD,
  type TestHome,
  assertBuilt,
  cleanEnv,
  makeHome,
  runOto,
  runOtoInPty,
  stripAnsi,
  uniqueHandle,
  visibleLines,
} from "./helpers.js";

const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const WEBHOOK_SECRET = "whsec_oto_cli_test";

/** Delivers a Stripe event to the server's webhook, signed as Stripe signs (HMAC-SHA256 of "t.payload"). */
async function deliverStripeEvent(serverUrl: string, type: string, object: unknown): Promise<Response> {
  const payload = JSON.stringify({
    id: `evt_${randomBytes(12).toString("hex")}`,
    object: "event",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: { object },
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac("sha256", WEBHOOK_SECRET).update(`${timestamp}.${payload}`).digest("hex");
  return fetch(`${serverUrl}/v1/hooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": `t=${timestamp},v1=${signature}` },
    body: payload,
  });
}
const DOWN = "\x1b[B";

let home: TestHome;
beforeEach(async () => {
  home = await makeHome();
});
afterEach(async () => {
  await home.cleanup();
});

function clientFor(url: string) {
  const env = { ...home.env, OTO_SERVER: url };
  return {
    run: (args: string[], stdin?: string) => runOto(args, { env, stdin, timeoutMs: 60_000 }),
    json: async (args: string[]) => {
      const result = await runOto([...args, "--json"], { env, timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout);
    },
    pty: (args: string[]) => runOtoInPty(args, { env }),
    register: async (handle = uniqueHandle("t")) => {
      const result = await runOto(["register", "--handle", handle, "--password-stdin"], { env, stdin: PASSWORD });
      expect(result.code, result.stderr).toBe(0);
      return handle;
    },
  };
}

describe("on a terminal", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let cli: ReturnType<typeof clientFor>;
  beforeAll(async () => {
    assertBuilt();
    server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "100000" });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    cli = clientFor(server.url);
  });

  it("agents create runs a wizard: name, kind, description, provider, template, cost, colour", async () => {
    await cli.register();
    const term = await cli.pty(["agents", "create"]);
    await term.waitFor("Name:");
    term.write("Wizard sketcher\r");
    await term.waitFor("What does it make?");
    term.write(`${DOWN}\r`); // text → image
    await term.waitFor("Description (optional):");
    term.write("Draws with a wand\r");
    await term.waitFor("Where does it run?");
    term.write("\r"); // local
    await term.waitFor("Prompt template:");
    term.write("a sketch\r");
    await term.waitFor("must contain {{prompt}}");
    term.write(`${"\x7f".repeat(8)}a sketch of {{prompt}}\r`);
    await term.waitFor("Tokens per run:");
    term.write("\r"); // the image default, 4
    await term.waitFor("Colour");
    term.write("#3366CC\r");
    const { exitCode } = await term.exit;
    expect(exitCode, stripAnsi(term.output)).toBe(0);
    expect(stripAnsi(term.output)).toMatch(
      /Created agent ag_[0-9a-z]{26} "Wizard sketcher" \(image, 4 tokens per run, local\)\./,
    );

    expect(await cli.json(["agents", "show", "Wizard sketcher"])).toMatchObject({
      kind: "image",
      description: "Draws with a wand",
      prompt_template: "a sketch of {{prompt}}",
      cost_tokens: 4,
      color: "#3366cc",
      provider: { type: "local" },
    });
  });

  it("the wizard asks only for what the flags left out, and for a RunPod endpoint when chosen", async () => {
    await cli.register();
    const term = await cli.pty(["agents", "create", "--kind", "voice", "--cost", "7"]);
    await term.waitFor("Name:");
    term.write("Narrator\r");
    await term.waitFor("Description (optional):");
    term.write("\r");
    await term.waitFor("Where does it run?");
    term.write(`${DOWN}\r`); // runpod
    await term.waitFor("RunPod endpoint id:");
    term.write("bad id!\r");
    await term.waitFor("letters, digits, _ and -");
    term.write(`${"\x7f".repeat(7)}ep-42\r`);
    await term.waitFor("Model (optional):");
    term.write("xtts-v2\r");
    await term.waitFor("Prompt template:");
    term.write("\r");
    await term.waitFor("Colour");
    term.write("\r");
    expect((await term.exit).exitCode, stripAnsi(term.output)).toBe(0);
    expect(stripAnsi(term.output)).not.toContain("What does it make?");
    expect(stripAnsi(term.output)).not.toContain("Tokens per run:");
    expect(await cli.json(["agents", "show", "Narrator"])).toMatchObject({
      kind: "voice",
      cost_tokens: 7,
      prompt_template: "{{prompt}}",
      provider: { type: "runpod", endpoint_id: "ep-42", model: "xtts-v2" },
    });
  });

  it("Ctrl-C in the wizard exits 130 and creates nothing", async () => {
    await cli.register();
    const term = await cli.pty(["agents", "create"]);
    await term.waitFor("Name:");
    term.write("Half\x03");
    expect((await term.exit).exitCode).toBe(130);
    expect((await cli.json(["agents", "list", "--mine"])).data).toEqual([]);
  });

  // A long local video (30 s at 30 fps) keeps the job running for a few seconds.
  const SLOW = ["--param", "duration_s=30", "--param", "fps=30", "--param", "width=1024", "--param", "height=1024"];

  it("generate --wait shows a spinner with the job's live state, then the creation", async () => {
    await cli.register();
    await cli.json(["agents", "create", "--name", "Film", "--kind", "video", "--cost", "0"]);
    const term = await cli.pty(["generate", "--agent", "Film", "--prompt", "a wave", ...SLOW, "--wait"]);
    await term.waitFor(/Film: job_[0-9a-z]{26} running/, 60_000);
    const { exitCode } = await term.exit;
    const screen = stripAnsi(term.output);
    expect(exitCode, screen).toBe(0);
    expect(term.output).toMatch(SPINNER_FRAME);
    expect(visibleLines(term.output).filter((line) => SPINNER_FRAME.test(line))).toEqual([]);
    expect(screen).toMatch(/✔ Made video cr_[0-9a-z]{26} with Film in [\d.]+ s; 0 tokens charged\./);
    // The spinner is cleared and the cursor given back.
    expect(term.output.lastIndexOf("\x1b[?25h")).toBeGreaterThan(term.output.lastIndexOf("\x1b[?25l"));
  }, 90_000);

  it("Ctrl-C while waiting exits 130, says the job goes on, and the job does", async () => {
    await cli.register();
    await cli.json(["agents", "create", "--name", "Film", "--kind", "video", "--cost", "0"]);
    const term = await cli.pty(["generate", "--agent", "Film", "--prompt", "a wave", ...SLOW, "--wait"]);
    await term.waitFor(/Film: job_[0-9a-z]{26} running/, 60_000);
    term.write("\x03");
    expect((await term.exit).exitCode).toBe(130);
    const screen = stripAnsi(term.output);
    const jobId = /Stopped waiting; (job_[0-9a-z]{26}) goes on\./.exec(screen)?.[1];
    expect(jobId, screen).toBeDefined();
    expect(screen).toContain(`oto jobs cancel ${jobId}`);
    const watched = await cli.run(["jobs", "watch", jobId as string]);
    expect(watched.code, watched.stderr).toBe(0);
  }, 90_000);

  it("generate without --agent and --prompt asks for both: your agents to pick from, then the prompt", async () => {
    await cli.register();
    await cli.json(["agents", "create", "--name", "Writer", "--kind", "text"]);
    await cli.json(["agents", "create", "--name", "Painter", "--kind", "image"]);
    const term = await cli.pty(["generate", "--wait"]);
    await term.waitFor("Agent:");
    await term.waitFor("Writer (text, 1 token)");
    term.write("\r"); // the newest first: Painter
    await term.waitFor("Prompt for Painter (image):");
    term.write("a red fox\r");
    expect((await term.exit).exitCode, stripAnsi(term.output)).toBe(0);
    expect(stripAnsi(term.output)).toMatch(/Made image cr_[0-9a-z]{26} with Painter/);
  });

  it("a failing job on a terminal ends with one clean error line", async () => {
    await cli.register();
    await cli.json(["agents", "create", "--name", "Remote", "--kind", "text", "--endpoint-id", "ep1"]);
    const term = await cli.pty(["generate", "--agent", "Remote", "--prompt", "hi", "--wait"]);
    expect((await term.exit).exitCode).toBe(1);
    const lines = visibleLines(term.output);
    expect(lines.at(-1)).toMatch(
      /^oto: error: job_[0-9a-z]{26} failed: .+ No tokens were charged \(1 token released\)\.$/,
    );
    expect(lines.filter((line) => line.startsWith("oto: error:"))).toHaveLength(1);
  });
});

describe("oto tokens buy, against a server selling through a local Stripe", () => {
  let fake: FakeStripe;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let cli: ReturnType<typeof clientFor>;
  beforeAll(async () => {
    assertBuilt();
    fake = await startFakeStripe();
    server = await startTestServer({
      STRIPE_SECRET_KEY: fake.secretKey,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_API_BASE: fake.url,
      OTO_AUTH_RATE_LIMIT: "100000",
      OTO_STARTER_TOKENS: "50",
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });
  beforeEach(() => {
    cli = clientFor(server.url);
  });

  /** Stripe's side of a payment: the session completes and the signed webhook arrives. */
  async function pay(sessionId: string) {
    const res = await deliverStripeEvent(server.url, "checkout.session.completed", { ...fake.complete(sessionId) });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  it("without a pack, off a terminal, lists the packs (exit 0)", async () => {
    await cli.register();
    const listed = await cli.run(["tokens", "buy"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^PACK\s+NAME\s+TOKENS\s+PRICE\nstarter\s+Starter pack\s+100\s+€5\.00\n/);
    expect(listed.stderr).toContain("Buy one with: oto tokens buy starter");
    expect((await cli.json(["tokens", "buy"])).data.map((p: { id: string }) => p.id)).toContain("starter");
    const unknown = await cli.run(["tokens", "buy", "gold"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^oto: error: there is no pack "gold"\.\nPacks: starter/);
  });

  it("--no-wait --json answers the checkout session", async () => {
    await cli.register();
    const result = await cli.json(["tokens", "buy", "starter", "--no-wait"]);
    expect(result.purchase).toBeNull();
    expect(result.checkout).toMatchObject({
      id: expect.stringMatching(/^cs_test_/),
      pack: { id: "starter", tokens: 100 },
    });
    expect(result.checkout.url).toBe(`${fake.url}/c/pay/${result.checkout.id}`);
  });

  it("prints the checkout URL, waits, and ends once the payment is credited", async () => {
    await cli.register();
    const child = spawn(process.execPath, [OTO_BIN, "tokens", "buy", "starter"], {
      env: cleanEnv({ ...home.env, OTO_SERVER: server.url }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!/\/c\/pay\/(cs_test_\w+)/.test(stdout) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const sessionId = /\/c\/pay\/(cs_test_\w+)/.exec(stdout)?.[1];
      expect(sessionId, stderr).toBeDefined();
      expect(stderr).toContain("Waiting for the payment");
      await new Promise((r) => setTimeout(r, 300)); // still waiting: nothing paid yet
      expect(child.exitCode).toBeNull();

      await pay(sessionId as string);
      expect(await exited).toBe(0);
      expect(stderr).toContain("100 tokens arrived; you have 150 tokens available.");
      expect(await cli.json(["tokens", "balance"])).toEqual({ available: 150, held: 0 });
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("on a terminal: pick the pack, see the URL and a spinner; Ctrl-C stops waiting (exit 130)", async () => {
    await cli.register();
    const term = await cli.pty(["tokens", "buy"]);
    await term.waitFor("Which pack?");
    term.write(`${DOWN}\r`); // the second pack
    await term.waitFor(/\/c\/pay\/cs_test_\w+/);
    await term.waitFor("Waiting for the payment");
    expect(term.output).toMatch(SPINNER_FRAME);
    term.write("\x03");
    expect((await term.exit).exitCode).toBe(130);
    expect(stripAnsi(term.output)).toContain("Stopped waiting. If you pay later the tokens still arrive");
    expect(stripAnsi(term.output)).toContain("Creator pack: 500 tokens for €20.00");
  });
});
