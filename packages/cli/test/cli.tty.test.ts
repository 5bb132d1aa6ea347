// The built `oto` binary inside a pseudo-terminal (node-pty), answered like a person would:
// prompts, masked passwords, confirmations, Ctrl-C, and the spinner and colors a TTY gets.
import { readFile, stat } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer } from "@oto/server/testing";
import {
  ANSI_COLOR,
  PASSWORD,
  type TestHome,
  assertBuilt,
  makeHome,
  runOto,
  runOtoInPty,
  stripAnsi,
  uniqueHandle,
} from "./helpers.js";

let server: Awaited<ReturnType<typeof startTestServer>>;
let home: TestHome;

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "100000" });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  home = await makeHome();
});
afterEach(async () => {
  await home.cleanup();
});

function ptyOto(args: string[], env: Record<string, string | undefined> = {}) {
  return runOtoInPty(args, { env: { ...home.env, OTO_SERVER: server.url, ...env } });
}

async function registerWithPipes() {
  const handle = uniqueHandle("t");
  const result = await runOto(["register", "--handle", handle, "--password-stdin"], {
    stdin: PASSWORD,
    env: { ...home.env, OTO_SERVER: server.url },
  });
  expect(result.code, result.stderr).toBe(0);
  const credentials = JSON.parse(await readFile(join(home.configDir, "credentials.json"), "utf8"));
  return { handle, credentials };
}

const credentialsExist = () =>
  stat(join(home.configDir, "credentials.json")).then(
    () => true,
    () => false,
  );

describe("on a terminal", () => {
  it("register asks for the handle and the password twice; the password is masked", async () => {
    const handle = uniqueHandle("t");
    const term = await ptyOto(["register"]);
    await term.waitFor("Handle:");
    term.write(`${handle}\r`);
    await term.waitFor("Password (10+ characters):");
    term.write(`${PASSWORD}\r`);
    await term.waitFor("Password again:");
    term.write(`${PASSWORD}\r`);
    const { exitCode } = await term.exit;
    expect(exitCode, stripAnsi(term.output)).toBe(0);

    expect(term.output).not.toContain(PASSWORD);
    expect(stripAnsi(term.output)).toContain("*".repeat(PASSWORD.length));
    expect(stripAnsi(term.output)).toContain(`Registered @${handle} on ${server.url} and logged in.`);
    expect(term.output).toMatch(ANSI_COLOR);
    const credentials = JSON.parse(await readFile(join(home.configDir, "credentials.json"), "utf8"));
    expect(credentials.handle).toBe(handle);
  });

  it("register re-asks when the handle breaks the rules or the passwords differ", async () => {
    const handle = uniqueHandle("t");
    const term = await ptyOto(["register"]);
    await term.waitFor("Handle:");
    term.write("No Way\r");
    await term.waitFor("starting with a letter");
    term.write(`${"\x7f".repeat(10)}${handle}\r`);
    await term.waitFor("Password (10+ characters):");
    term.write(`${PASSWORD}\r`);
    await term.waitFor("Password again:");
    term.write("something else\r");
    await term.waitFor("The passwords differ");
    term.write(`${"\x7f".repeat(20)}${PASSWORD}\r`);
    expect((await term.exit).exitCode, stripAnsi(term.output)).toBe(0);
  });

  it("login asks for the missing handle and the masked password", async () => {
    const { handle } = await registerWithPipes();
    const term = await ptyOto(["login"]);
    await term.waitFor("Handle:");
    term.write(`${handle}\r`);
    await term.waitFor("Password:");
    term.write(`${PASSWORD}\r`);
    expect((await term.exit).exitCode, stripAnsi(term.output)).toBe(0);
    expect(term.output).not.toContain(PASSWORD);
    expect(stripAnsi(term.output)).toContain(`Logged in to ${server.url} as @${handle}.`);
  });

  it("login asks again after a wrong password", async () => {
    const { handle } = await registerWithPipes();
    const term = await ptyOto(["login", "--handle", handle]);
    await term.waitFor("Password:");
    term.write("not my password\r");
    await term.waitFor("Try again.");
    term.write(`${PASSWORD}\r`);
    expect((await term.exit).exitCode, stripAnsi(term.output)).toBe(0);
    expect(stripAnsi(term.output)).toContain(`Logged in to ${server.url} as @${handle}.`);
  });

  it("login --with-token asks for the key, masked, when stdin is the terminal", async () => {
    const { credentials } = await registerWithPipes();
    const term = await ptyOto(["login", "--with-token"]);
    await term.waitFor("API key:");
    term.write(`${credentials.api_key}\r`);
    expect((await term.exit).exitCode, stripAnsi(term.output)).toBe(0);
    expect(term.output).not.toContain(credentials.api_key);
  });

  it("keys revoke asks for confirmation: yes revokes, no keeps the key (exit 2)", async () => {
    await registerWithPipes();
    const env = { ...home.env, OTO_SERVER: server.url };
    const created = JSON.parse((await runOto(["keys", "create", "--json"], { env })).stdout);

    const declined = await ptyOto(["keys", "revoke", created.id]);
    await declined.waitFor(`Revoke API key ${created.id} (${created.name}, prefix ${created.prefix})?`);
    declined.write("n\r");
    expect((await declined.exit).exitCode).toBe(2);
    expect(stripAnsi(declined.output)).toContain("Nothing was revoked.");
    expect((await runOto(["whoami"], { env: { ...env, OTO_API_KEY: created.secret } })).code).toBe(0);

    const confirmed = await ptyOto(["keys", "revoke", created.id]);
    await confirmed.waitFor(`Revoke API key ${created.id} (`);
    confirmed.write("y\r");
    expect((await confirmed.exit).exitCode, stripAnsi(confirmed.output)).toBe(0);
    expect(stripAnsi(confirmed.output)).toContain(`Revoked API key ${created.id}`);
    expect((await runOto(["whoami"], { env: { ...env, OTO_API_KEY: created.secret } })).code).toBe(4);

    const again = await ptyOto(["keys", "revoke", created.id]);
    expect((await again.exit).exitCode).toBe(0);
    expect(stripAnsi(again.output)).toContain(`API key ${created.id} (${created.name}) was already revoked`);
  });

  it("--no-input turns the prompts off even on a terminal (exit 2)", async () => {
    const term = await ptyOto(["login", "--no-input"]);
    expect((await term.exit).exitCode).toBe(2);
    expect(stripAnsi(term.output)).toContain("--handle is required when oto cannot prompt (--no-input was given)");
  });

  it("Ctrl-C at a prompt exits 130 and stores nothing", async () => {
    const term = await ptyOto(["login"]);
    await term.waitFor("Handle:");
    term.write("\x03");
    expect((await term.exit).exitCode).toBe(130);
    expect(await credentialsExist()).toBe(false);
  });

  it("Ctrl-C at the password prompt exits 130 too", async () => {
    const term = await ptyOto(["register", "--handle", uniqueHandle("t")]);
    await term.waitFor("Password (10+ characters):");
    term.write("abc\x03");
    expect((await term.exit).exitCode).toBe(130);
    expect(await credentialsExist()).toBe(false);
  });
});

describe("spinner and colors", () => {
  // A real proxy in front of the test server that answers slowly, so the spinner has time to show.
  let slow: Server;
  let slowUrl: string;
  beforeAll(async () => {
    slow = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", async () => {
        await new Promise((resolve) => setTimeout(resolve, 1200));
        const headers: Record<string, string> = {};
        for (const name of ["authorization", "content-type", "idempotency-key", "x-request-id", "user-agent"]) {
          const value = req.headers[name];
          if (typeof value === "string") headers[name] = value;
        }
        const body = chunks.length ? Buffer.concat(chunks) : undefined;
        const upstream = await fetch(`${server.url}${req.url}`, { method: req.method, headers, body });
        res.writeHead(upstream.status, {
          "content-type": upstream.headers.get("content-type") ?? "application/json",
          "x-request-id": upstream.headers.get("x-request-id") ?? "",
        });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const address = slow.address();
    slowUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => slow.close(resolve));
  });

  const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

  it("a terminal gets a spinner on stderr and colors", async () => {
    const { credentials } = await registerWithPipes();
    const term = await runOtoInPty(["whoami"], {
      env: { ...home.env, OTO_SERVER: slowUrl, OTO_API_KEY: credentials.api_key },
    });
    expect((await term.exit).exitCode, stripAnsi(term.output)).toBe(0);
    expect(term.output).toMatch(SPINNER_FRAME);
    expect(stripAnsi(term.output)).toContain(`Asking ${slowUrl}`);
    expect(term.output).toMatch(ANSI_COLOR);
  });

  it("pipes get neither spinner nor colors", async () => {
    const { credentials } = await registerWithPipes();
    const result = await runOto(["whoami"], {
      env: { ...home.env, OTO_SERVER: slowUrl, OTO_API_KEY: credentials.api_key },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).not.toMatch(ANSI_COLOR);
    expect(result.stdout).not.toMatch(SPINNER_FRAME);
  });

  it("NO_COLOR, --no-color and TERM=dumb turn colors off on a terminal; --json and -q the spinner", async () => {
    const { credentials } = await registerWithPipes();
    const env = { ...home.env, OTO_SERVER: slowUrl, OTO_API_KEY: credentials.api_key };
    for (const [args, extra] of [
      [["whoami"], { NO_COLOR: "1" }],
      [["whoami", "--no-color"], {}],
      [["whoami"], { TERM: "dumb" }],
    ] as const) {
      const term = await runOtoInPty([...args], { env: { ...env, ...extra } });
      expect((await term.exit).exitCode).toBe(0);
      expect(term.output, `${args.join(" ")} ${JSON.stringify(extra)}`).not.toMatch(ANSI_COLOR);
    }
    for (const args of [
      ["whoami", "--json"],
      ["whoami", "-q"],
    ]) {
      const term = await runOtoInPty(args, { env });
      expect((await term.exit).exitCode).toBe(0);
      expect(term.output, args.join(" ")).not.toMatch(SPINNER_FRAME);
    }
  });

  it("Ctrl-C while waiting for the server exits 130 and gives the cursor back", async () => {
    const { credentials } = await registerWithPipes();
    const term = await runOtoInPty(["whoami"], {
      env: { ...home.env, OTO_SERVER: slowUrl, OTO_API_KEY: credentials.api_key },
    });
    await term.waitFor(`Asking ${slowUrl}`);
    term.write("\x03");
    expect((await term.exit).exitCode).toBe(130);
    expect(term.output.lastIndexOf("\x1b[?25h")).toBeGreaterThan(term.output.lastIndexOf("\x1b[?25l"));
  });

  it("CI turns prompts and spinners off even on a terminal", async () => {
    const term = await ptyOto(["login"], { CI: "true" });
    expect((await term.exit).exitCode).toBe(2);
    expect(stripAnsi(term.output)).toContain("--handle is required when oto cannot prompt (CI is set)");
  });
});
