import { describe, expect, test } from "vitest";
import type { Handler } from "../src/handlers/types.js";
import { installShutdownHandlers } from "../src/server.js";
import { startTestServer } from "../src/testing.js";
import { call } from "./helpers.js";

describe("close()", () => {
  test("finishes in-flight requests, refuses new connections, then closes the database", async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const getHealth: Handler<"getHealth"> = async () => {
      entered();
      await gate;
      return { status: 200, body: { status: "ok", version: "test", uptime_s: 1 } };
    };
    const server = await startTestServer({}, { handlers: { getHealth } });

    const inFlight = call(server, "GET", "/v1/health");
    await inHandler;
    let closed = false;
    const closing = server.close().then(() => (closed = true));

    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false); // waits for the request
    await expect(fetch(`${server.url}/v1/ready`)).rejects.toThrow(); // no new connections
    await expect(server.app.db.query("SELECT 1")).resolves.toHaveLength(1); // database still open

    const finishedAt = Date.now();
    finish();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body.version).toBe("test");
    expect(res.headers.get("connection")).toBe("close");
    await closing;
    expect(Date.now() - finishedAt).toBeLessThan(5_000); // did not wait for the forced cut-off
    expect(closed).toBe(true);
    await expect(server.app.db.query("SELECT 1")).rejects.toThrow();
  });

  test("can be called twice", async () => {
    const server = await startTestServer();
    await Promise.all([server.close(), server.close()]);
    await server.close();
  });
});

describe("installShutdownHandlers", () => {
  test("SIGTERM closes the server and exits 0; the handlers can be removed", async () => {
    const server = await startTestServer();
    const exits: number[] = [];
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const before = process.listenerCount("SIGTERM");
    const uninstall = installShutdownHandlers(server, log, { exit: (code) => exits.push(code) });
    expect(process.listenerCount("SIGTERM")).toBe(before + 1);
    try {
      process.emit("SIGTERM", "SIGTERM");
      await new Promise<void>((resolve) => {
        const wait = () => (exits.length > 0 ? resolve() : setTimeout(wait, 10));
        wait();
      });
      expect(exits).toEqual([0]);
      expect(lines.join("\n")).toMatch(/SIGTERM/);
      await expect(fetch(`${server.url}/v1/health`)).rejects.toThrow();
    } finally {
      uninstall();
    }
    expect(process.listenerCount("SIGTERM")).toBe(before);
  });

  test("a second signal while closing exits at once with 1", async () => {
    const exits: number[] = [];
    const never = { close: () => new Promise<void>(() => {}) };
    const uninstall = installShutdownHandlers(never, { info: () => {}, error: () => {} }, {
      signals: ["SIGUSR2"],
      exit: (code) => exits.push(code),
    });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      process.emit("SIGUSR2", "SIGUSR2");
      expect(exits).toEqual([1]);
    } finally {
      uninstall();
    }
  });

  test("a failed close exits 1", async () => {
    const exits: number[] = [];
    const failing = { close: () => Promise.reject(new Error("disk on fire")) };
    const lines: string[] = [];
    const uninstall = installShutdownHandlers(failing, { info: () => {}, error: (m) => lines.push(m) }, {
      signals: ["SIGUSR2"],
      exit: (code) => exits.push(code),
    });
    try {
      process.emit("SIGUSR2", "SIGUSR2");
      await new Promise((r) => setTimeout(r, 10));
      expect(exits).toEqual([1]);
      expect(lines.join()).toContain("disk on fire");
    } finally {
      uninstall();
    }
  });
});
