// The built `oto` binary, run as a child process with pipes (no TTY), against a real server
// (in-memory PGlite, or PostgreSQL when OTO_TEST_DATABASE_URL is set).
import { readdir, readFile, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestServer } from "@oto/server/testing";
import {
  ANSI_COLOR,
  PASSWORD,
  type TestHome,
  assertBuilt,
  freePort,
  makeHome,
  runOto,
  uniqueHandle,
} from "./helpers.js";

const KEY = /^oto_[0-9a-z]{8}_[0-9A-Za-z]{32}$/;

let server: Awaited<ReturnType<typeof startTestServer>>;
let home: TestHome;

beforeAll(async () => {
  assertBuilt();
  // Many sign-ups and log-ins come from 127.0.0.1 here: lift the per-minute limit.
  server = await startTestServer({ OTO_AUTH_RATE_LIMIT: "100000" });
});
afterAll(async () => {
  await server?.close();
});

// Each test gets an empty HOME and config dir.
beforeEach(async () => {
  home = await makeHome();
});
afterEach(async () => {
  await home.cleanup();
});

/** oto with the test HOME and the test server. */
function oto(args: string[], options: { env?: Record<string, string | undefined>; stdin?: string } = {}) {
  return runOto(args, { stdin: options.stdin, env: { ...home.env, OTO_SERVER: server.url, ...options.env } });
}

async function register(handle = uniqueHandle()) {
  const result = await oto(["register", "--handle", handle, "--password-stdin"], { stdin: `${PASSWORD}\n` });
  expect(result.code, result.stderr).toBe(0);
  return { handle, credentials: await readCredentials() };
}

async function readCredentials(): Promise<{ server: string; api_key: string; handle: string; key_id: string }> {
  return JSON.parse(await readFile(join(home.configDir, "credentials.json"), "utf8"));
}

async function credentialsExist(): Promise<boolean> {
  return stat(join(home.configDir, "credentials.json")).then(
    () => true,
    () => false,
  );
}

/** One "oto: error: …" line, plus at most one hint line. */
function expectOneErrorLine(stderr: string, pattern: RegExp) {
  const lines = stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^oto: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines.length).toBeLessThanOrEqual(2);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("oto register", () => {
  it("creates the account from --handle and --password-stdin and stores the key (0600, dir 0700)", async () => {
    const handle = uniqueHandle();
    const result = await oto(["register", "--handle", handle, "--password-stdin"], { stdin: `${PASSWORD}\n` });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`Registered @${handle} on ${server.url} and logged in.`);
    expect(result.stderr).not.toMatch(ANSI_COLOR);

    const credentials = await readCredentials();
    expect(credentials).toEqual({
      server: server.url,
      api_key: expect.stringMatching(KEY),
      handle,
      key_id: expect.stringMatching(/^key_/),
    });
    expect((await stat(join(home.configDir, "credentials.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(home.configDir)).mode & 0o777).toBe(0o700);
    // Written atomically: no temp file is left behind.
    expect(await readdir(home.configDir)).toEqual(["credentials.json"]);
  });

  it("--json prints only the JSON document on stdout, without the secret", async () => {
    const handle = uniqueHandle();
    const result = await oto(
      ["register", "--handle", handle, "--display-name", "Ada L", "--password-stdin", "--json"],
      {
        stdin: PASSWORD,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body.server).toBe(server.url);
    expect(body.account).toMatchObject({ handle, display_name: "Ada L", role: "user" });
    expect(body.api_key.id).toMatch(/^key_/);
    expect(body.api_key).not.toHaveProperty("secret");
    expect(result.stdout).not.toContain("oto_");
  });

  it("off a TTY, a missing --handle or --password-stdin is a usage error (exit 2) naming the flag", async () => {
    const noHandle = await oto(["register", "--password-stdin"], { stdin: PASSWORD });
    expect(noHandle.code).toBe(2);
    expectOneErrorLine(noHandle.stderr, /--handle is required when oto cannot prompt \(stdin is not a terminal\)/);
    expect(noHandle.stdout).toBe("");

    const noPassword = await oto(["register", "--handle", uniqueHandle()]);
    expect(noPassword.code).toBe(2);
    expectOneErrorLine(noPassword.stderr, /--password-stdin is required/);

    const emptyStdin = await oto(["register", "--handle", uniqueHandle(), "--password-stdin"], { stdin: "" });
    expect(emptyStdin.code).toBe(2);
    expectOneErrorLine(emptyStdin.stderr, /stdin was empty/);
    expect(await credentialsExist()).toBe(false);
  });

  it("a taken handle fails with one line carrying the code and request id", async () => {
    const { handle } = await register();
    const again = await oto(["register", "--handle", handle, "--password-stdin"], { stdin: PASSWORD });
    expect(again.code).toBe(1);
    expectOneErrorLine(again.stderr, new RegExp(`"${handle}".*\\(handle_taken, request \\S+\\)$`));
  });

  it("rejects a handle the server refuses, with the server's reason", async () => {
    const result = await oto(["register", "--handle", "Bad Handle", "--password-stdin"], { stdin: PASSWORD });
    expect(result.code).toBe(1);
    expectOneErrorLine(result.stderr, /handle.*\(validation_failed, request \S+\)/);
  });
});

describe("oto login", () => {
  it("logs in with --handle and --password-stdin, storing a new key", async () => {
    const { handle, credentials: first } = await register();
    const result = await oto(["login", "--handle", handle, "--password-stdin", "--key-name", "laptop"], {
      stdin: PASSWORD,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Logged in to ${server.url} as @${handle}.`);
    const second = await readCredentials();
    expect(second.key_id).not.toBe(first.key_id);
    expect(second.api_key).toMatch(KEY);

    const keys = JSON.parse((await oto(["keys", "list", "--json"])).stdout);
    expect(keys.data.find((key: { id: string }) => key.id === second.key_id).name).toBe("laptop");
  });

  it("a wrong password exits 4 and stores nothing", async () => {
    const { handle } = await register();
    const result = await oto(["login", "--handle", handle, "--password-stdin"], {
      stdin: "not the password",
      env: { OTO_CONFIG_DIR: join(home.home, "other") },
    });
    expect(result.code).toBe(4);
    expectOneErrorLine(result.stderr, /\(invalid_credentials, request \S+\)$/);
    expect(await readdir(home.home)).not.toContain("other");
  });

  it("off a TTY without flags, exit 2 names the missing flag", async () => {
    const result = await oto(["login"]);
    expect(result.code).toBe(2);
    expectOneErrorLine(result.stderr, /--handle is required/);
    const noInput = await oto(["login", "--handle", "ada", "--no-input"]);
    expect(noInput.code).toBe(2);
    expectOneErrorLine(noInput.stderr, /--password-stdin is required.*--no-input/);
  });

  it("--with-token checks the key from stdin with the server and stores it with its id", async () => {
    await register();
    const created = JSON.parse((await oto(["keys", "create", "--name", "token", "--json"])).stdout);
    const otherHome = await makeHome();
    try {
      const result = await runOto(["login", "--with-token"], {
        stdin: `${created.secret}\n`,
        env: { ...otherHome.env, OTO_SERVER: server.url },
      });
      expect(result.code, result.stderr).toBe(0);
      const stored = JSON.parse(await readFile(join(otherHome.configDir, "credentials.json"), "utf8"));
      expect(stored).toMatchObject({ server: server.url, api_key: created.secret, key_id: created.id });
    } finally {
      await otherHome.cleanup();
    }
  });

  it("--with-token: a revoked key exits 4, a malformed or missing one exits 2", async () => {
    await register();
    const created = JSON.parse((await oto(["keys", "create", "--json"])).stdout);
    expect((await oto(["keys", "revoke", created.id, "--yes"])).code).toBe(0);
    await oto(["logout", "--keep-key"]);

    const revoked = await oto(["login", "--with-token"], { stdin: created.secret });
    expect(revoked.code).toBe(4);
    expectOneErrorLine(revoked.stderr, /\(invalid_api_key, request \S+\)$/);
    expect(await credentialsExist()).toBe(false);

    const malformed = await oto(["login", "--with-token"], { stdin: "hunter2" });
    expect(malformed.code).toBe(2);
    expectOneErrorLine(malformed.stderr, /not an oTo API key/);

    const empty = await oto(["login", "--with-token"], { stdin: "" });
    expect(empty.code).toBe(2);
    expectOneErrorLine(empty.stderr, /stdin was empty/);
  });
});

describe("rate limits", () => {
  it("a rate-limited login fails at once with the server's reason (exit 1), without waiting", async () => {
    const strict = await startTestServer({ OTO_AUTH_RATE_LIMIT: "2" });
    try {
      const env = { ...home.env, OTO_SERVER: strict.url };
      const handle = uniqueHandle();
      expect((await runOto(["register", "--handle", handle, "--password-stdin"], { env, stdin: PASSWORD })).code).toBe(
        0,
      );
      let last = await runOto(["login", "--handle", handle, "--password-stdin"], { env, stdin: PASSWORD });
      for (let i = 0; i < 3 && last.code === 0; i += 1) {
        last = await runOto(["login", "--handle", handle, "--password-stdin"], { env, stdin: PASSWORD });
      }
      expect(last.code).toBe(1);
      expectOneErrorLine(last.stderr, /\(rate_limited, request \S+\)$/);
    } finally {
      await strict.close();
    }
  });
});

describe("oto whoami", () => {
  it("shows the account; --json prints the Account alone", async () => {
    const { handle, credentials } = await register();
    const human = await oto(["whoami"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`@${handle} on ${server.url}`);
    expect(human.stdout).toContain(`${credentials.api_key.slice(0, 13)}…`);
    expect(human.stdout).not.toContain(credentials.api_key);
    expect(human.stdout).not.toMatch(ANSI_COLOR);

    const json = await oto(["whoami", "--json"]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toMatchObject({ handle, role: "user", id: expect.stringMatching(/^acc_/) });
  });

  it("not logged in exits 4 with a hint to log in", async () => {
    const result = await oto(["whoami"]);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      `oto: error: not logged in to ${server.url}.\nRun "oto login" to log in, or set OTO_API_KEY.\n`,
    );
    expect(result.stdout).toBe("");
  });

  it("OTO_API_KEY wins over the stored credentials", async () => {
    const other = await register();
    const mine = await register();
    expect(mine.credentials.handle).not.toBe(other.handle);
    const result = await oto(["whoami", "--json"], { env: { OTO_API_KEY: other.credentials.api_key } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).handle).toBe(other.handle);
  });

  it("works with OTO_API_KEY alone, and a bad one exits 4 pointing at the variable", async () => {
    const { credentials } = await register();
    await oto(["logout", "--keep-key"]);
    const ok = await oto(["whoami", "--json"], { env: { OTO_API_KEY: credentials.api_key } });
    expect(ok.code).toBe(0);

    const bad = await oto(["whoami"], { env: { OTO_API_KEY: "oto_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" } });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(
      /^oto: error: The API key is unknown or has been revoked\. \(invalid_api_key, request \S+\)\nCheck the key in OTO_API_KEY/,
    );
  });

  it("--server beats OTO_SERVER, and stored credentials are never sent to another server", async () => {
    await register();
    const downUrl = `http://127.0.0.1:${await freePort()}`;
    const flagWins = await oto(["whoami", "--json", "--server", server.url], { env: { OTO_SERVER: downUrl } });
    expect(flagWins.code, flagWins.stderr).toBe(0);

    const elsewhere = await oto(["whoami", "--server", downUrl]);
    expect(elsewhere.code).toBe(4);
    expectOneErrorLine(
      elsewhere.stderr,
      new RegExp(`not logged in to ${downUrl} \\(the stored credentials are for ${server.url}\\)`),
    );
  });

  it("uses the stored server when neither --server nor OTO_SERVER is given", async () => {
    const { handle } = await register();
    const result = await runOto(["whoami", "--json"], { env: home.env });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).handle).toBe(handle);
  });

  it("a server that is down is one readable line and exit 1", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runOto(["whoami"], {
      env: { ...home.env, OTO_SERVER: url, OTO_API_KEY: "oto_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `oto: error: cannot reach ${url} — is the server running? Start one with "oto server start".\n`,
    );
  });

  it("--verbose logs each HTTP call with status and request id on stderr", async () => {
    await register();
    const result = await oto(["whoami", "--json", "--verbose"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty("handle");
    expect(result.stderr).toMatch(new RegExp(`> GET ${server.url}/v1/me → 200 OK \\(\\d+ ms, request \\S+\\)`));
  });

  it("a damaged credentials file is one readable line", async () => {
    await mkdir(home.configDir, { recursive: true });
    await writeFile(join(home.configDir, "credentials.json"), "{ not json");
    const result = await oto(["whoami"]);
    expect(result.code).toBe(1);
    expectOneErrorLine(result.stderr, /credentials\.json is not valid JSON\./);

    // Logging in again rewrites it.
    const { handle } = await register();
    expect(JSON.parse((await oto(["whoami", "--json"])).stdout).handle).toBe(handle);
  });

  it("logout deletes a damaged credentials file", async () => {
    await mkdir(home.configDir, { recursive: true });
    await writeFile(join(home.configDir, "credentials.json"), "[]");
    const result = await oto(["logout"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Deleted the damaged");
    expect(await credentialsExist()).toBe(false);
  });

  it("an invalid --server URL is a usage error", async () => {
    const result = await oto(["whoami", "--server", "ftp://example"]);
    expect(result.code).toBe(2);
    expectOneErrorLine(result.stderr, /--server must be an http:\/\/ or https:\/\/ URL/);
  });
});

describe("oto keys", () => {
  it("create prints the secret alone on stdout and a warning on stderr; the key works", async () => {
    await register();
    const result = await oto(["keys", "create", "--name", "ci"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^oto_[0-9a-z]{8}_[0-9A-Za-z]{32}\n$/);
    expect(result.stderr).toMatch(/Created API key key_\w+ \(ci, prefix [0-9a-z]{8}\)/);
    expect(result.stderr).toContain("shown only once");

    const withKey = await oto(["whoami", "--json"], { env: { OTO_API_KEY: result.stdout.trim() } });
    expect(withKey.code).toBe(0);
  });

  it("create --json prints the key with its secret", async () => {
    await register();
    const result = await oto(["keys", "create", "--name", "n8n", "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      name: "n8n",
      secret: expect.stringMatching(KEY),
      revoked_at: null,
    });
  });

  it("list shows a table; --json the page; --limit pages; --all follows every page", async () => {
    const { credentials } = await register();
    for (const name of ["one", "two"]) expect((await oto(["keys", "create", "--name", name])).code).toBe(0);

    const table = await oto(["keys", "list"]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^key_\w+\s+two\s/); // newest first
    expect(table.stdout).toContain(`${credentials.key_id}  registration (in use)`);

    const page = await oto(["keys", "list", "--limit", "1", "--json"]);
    const body = JSON.parse(page.stdout);
    expect(body.data).toHaveLength(1);
    expect(body.next_cursor).toEqual(expect.any(String));

    const firstPage = await oto(["keys", "list", "--limit", "1"]);
    expect(firstPage.stderr).toContain(`oto keys list --cursor ${body.next_cursor}`);
    const next = JSON.parse(
      (await oto(["keys", "list", "--limit", "1", "--cursor", body.next_cursor, "--json"])).stdout,
    );
    expect(next.data[0].id).not.toBe(body.data[0].id);

    const all = JSON.parse((await oto(["keys", "list", "--all", "--limit", "1", "--json"])).stdout);
    expect(all.data.map((key: { name: string }) => key.name)).toEqual(["two", "one", "registration"]);
    expect(all.next_cursor).toBeNull();

    const badLimit = await oto(["keys", "list", "--limit", "500"]);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/^oto: error: option '--limit <n>' argument '500' is invalid/);
  });

  it("revoke needs --yes off a TTY; with it the key stops working at once", async () => {
    await register();
    const created = JSON.parse((await oto(["keys", "create", "--name", "temp", "--json"])).stdout);

    const unconfirmed = await oto(["keys", "revoke", created.id]);
    expect(unconfirmed.code).toBe(2);
    expectOneErrorLine(unconfirmed.stderr, /--yes is required when oto cannot prompt/);
    expect((await oto(["whoami"], { env: { OTO_API_KEY: created.secret } })).code).toBe(0);

    const revoked = await oto(["keys", "revoke", created.id, "--yes", "--json"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: created.id, revoked_at: expect.any(String) });

    const refused = await oto(["whoami"], { env: { OTO_API_KEY: created.secret } });
    expect(refused.code).toBe(4);
    expectOneErrorLine(
      refused.stderr,
      /^oto: error: The API key is unknown or has been revoked\. \(invalid_api_key, request \S+\)$/,
    );
  });

  it("revoke: a malformed id exits 2, an unknown one exits 1 with not_found", async () => {
    await register();
    const malformed = await oto(["keys", "revoke", "nope", "--yes"]);
    expect(malformed.code).toBe(2);
    expectOneErrorLine(malformed.stderr, /"nope" is not a key id/);

    const unknown = await oto(["keys", "revoke", `key_${"0".repeat(26)}`, "--yes"]);
    expect(unknown.code).toBe(1);
    expectOneErrorLine(unknown.stderr, /\(not_found, request \S+\)$/);
  });

  it("revoking the key oto is logged in with logs out", async () => {
    const { credentials } = await register();
    const result = await oto(["keys", "revoke", credentials.key_id, "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("you are logged out");
    expect(await credentialsExist()).toBe(false);
    expect((await oto(["whoami"])).code).toBe(4);
  });

  it("keys commands need a login (exit 4)", async () => {
    for (const args of [
      ["keys", "list"],
      ["keys", "create"],
      ["keys", "revoke", `key_${"0".repeat(26)}`, "--yes"],
    ]) {
      const result = await oto(args);
      expect(result.code, args.join(" ")).toBe(4);
    }
  });
});

describe("oto logout", () => {
  it("revokes the key on the server and deletes the credentials", async () => {
    const { handle, credentials } = await register();
    const result = await oto(["logout"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`Revoked API key ${credentials.key_id}`);
    expect(result.stderr).toContain(`Logged out @${handle}`);
    expect(await credentialsExist()).toBe(false);
    expect((await oto(["whoami"], { env: { OTO_API_KEY: credentials.api_key } })).code).toBe(4);
  });

  it("--keep-key only forgets locally: the key keeps working", async () => {
    const { credentials } = await register();
    const result = await oto(["logout", "--keep-key", "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ logged_out: true, key_revoked: false });
    expect(await credentialsExist()).toBe(false);
    expect((await oto(["whoami"], { env: { OTO_API_KEY: credentials.api_key } })).code).toBe(0);
  });

  it("with the server down, forgets locally and says the key was not revoked", async () => {
    const { credentials } = await register();
    const stored = await readCredentials();
    const downUrl = `http://127.0.0.1:${await freePort()}`;
    await writeFile(join(home.configDir, "credentials.json"), JSON.stringify({ ...stored, server: downUrl }));
    const result = await oto(["logout"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Could not revoke key ${credentials.key_id}: cannot reach ${downUrl}`);
    expect(await credentialsExist()).toBe(false);
  });

  it("when not logged in, says so and succeeds", async () => {
    const result = await oto(["logout"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("Not logged in");
  });
});

describe("oto help", () => {
  it("documents the exit codes", async () => {
    const result = await runOto(["help", "exit-codes"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\s+4\s+authentication/m);
    expect(result.stdout).toMatch(/^\s+130\s+interrupted/m);
  });

  it("usage errors exit 2 with a suggestion and a pointer to --help", async () => {
    const result = await runOto(["logni"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `oto: error: unknown command 'logni'\n(Did you mean login?)\nRun "oto --help" for usage.\n`,
    );
  });

  it("--version prints the version", async () => {
    const result = await runOto(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  });
});
