// `--help` of every command, snapshotted (run the built binary; the version is normalized).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assertBuilt, runOto } from "./helpers.js";

const COMMANDS = [
  [],
  ["server"],
  ["server", "start"],
  ["register"],
  ["login"],
  ["logout"],
  ["whoami"],
  ["keys"],
  ["keys", "create"],
  ["keys", "list"],
  ["keys", "revoke"],
  ["agents"],
  ["agents", "create"],
  ["agents", "list"],
  ["agents", "show"],
  ["agents", "update"],
  ["agents", "archive"],
  ["generate"],
  ["jobs"],
  ["jobs", "list"],
  ["jobs", "show"],
  ["jobs", "cancel"],
  ["jobs", "watch"],
  ["creations"],
  ["creations", "list"],
  ["creations", "show"],
  ["download"],
  ["publish"],
  ["unpublish"],
  ["share"],
  ["fork"],
  ["tree"],
  ["verify"],
  ["search"],
  ["wall"],
  ["wall", "info"],
  ["wall", "locate"],
  ["open"],
  ["tokens"],
  ["tokens", "balance"],
  ["tokens", "history"],
  ["tokens", "quote"],
  ["tokens", "buy"],
  ["admin"],
  ["admin", "grant"],
  ["demo"],
  ["demo", "seed"],
  ["help"],
];

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
const normalize = (text: string) => text.replaceAll(version, "<version>");

describe("help", () => {
  it.each(COMMANDS.map((words) => [words.join(" ") || "(oto)", words]))("oto %s --help", async (_name, words) => {
    assertBuilt();
    const result = await runOto([...(words as string[]), "--help"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("Examples:");
    expect(normalize(result.stdout)).toMatchSnapshot();
  });

  it("oto help <command> prints the same as oto <command> --help", async () => {
    const viaHelp = await runOto(["help", "keys", "revoke"]);
    const viaFlag = await runOto(["keys", "revoke", "--help"]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  it("oto with no arguments prints the help and succeeds", async () => {
    const bare = await runOto([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe((await runOto(["--help"])).stdout);
  });

  it.each([["exit-codes"], ["environment"]])("oto help %s", async (topic) => {
    const result = await runOto(["help", topic]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchSnapshot();
  });
});
