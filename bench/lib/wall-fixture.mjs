// A wall of N post-its written straight into a PGlite data folder, for the wall benches (and the viewer's).
// Accounts get homes in sign-up order along the spiral; each pins `agentsPerAccount` golden agents and then
// creations made with them, every position computed by the real placement engine. Rows that need no position
// (accounts, agents, creations, strings, the change log) are made by the database itself from generate_series.
import { performance } from "node:perf_hooks";
import { loadServerModules } from "./server-src.mjs";

const KINDS = ["text", "image", "voice", "video"];
const MEDIA = { text: "text/markdown", image: "image/png", voice: "audio/wav", video: "image/webp" };
const AGENT_COLOURS = ["#d4a017", "#1e88e5", "#43a047", "#e53935"];
const pad = (prefix, n) => `${prefix}_${String(n).padStart(26, "0")}`;

/**
 * Fills `dir` (a PGlite data folder, created and migrated) with a wall of `postits` post-its:
 * accounts of `perAccount` post-its each, the first `agentsPerAccount` golden agents, the rest creations (one in
 * `forkEvery` a fork of a creation of the previous account). Answers what was written and how long it took.
 */
export async function generateWall({ dir, postits = 1_000_000, perAccount = 100, agentsPerAccount = 3, forkEvery = 50, log = () => {} }) {
  if (!(postits > 0) || !(perAccount > agentsPerAccount) || !(agentsPerAccount >= 1)) throw new Error("need postits > 0 and perAccount > agentsPerAccount ≥ 1");
  const { openDatabase, readMigrations, PlacementState } = await loadServerModules();
  const started = performance.now();
  const accounts = Math.ceil(postits / perAccount);
  const kindSql = (a, j) => `(ARRAY['text','image','voice','video'])[((${a} + ${j}) % 4) + 1]`;

  // Positions: the placement engine, in pinning order (seq n+1 for post-it n).
  const state = new PlacementState();
  const xs = new Int32Array(postits);
  const ys = new Int32Array(postits);
  const rotations = new Float64Array(postits);
  const colours = new Array(postits);
  for (let n = 0; n < postits; n++) {
    const a = Math.floor(n / perAccount);
    const i = n % perAccount;
    const agent = i < agentsPerAccount;
    const p = state.place({ accountHome: a, kind: agent ? "agent" : "creation", id: pad(agent ? "ag" : "cr", n), avoidHome: agent });
    xs[n] = p.x;
    ys[n] = p.y;
    rotations[n] = p.rotation;
    colours[n] = p.colour;
  }
  log(`placed ${postits.toLocaleString("en")} post-its in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const db = await openDatabase({ dataDir: dir }, readMigrations());
  try {
    const [{ n: existing }] = await db.query("SELECT count(*)::int AS n FROM wall_postits");
    if (existing > 0) throw new Error(`${dir} already holds a wall (${existing} post-its)`);
    const step = async (label, sql, params) => {
      const t0 = performance.now();
      await db.query(sql, params);
      log(`${label} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    };
    await step(
      `${accounts.toLocaleString("en")} accounts`,
      `INSERT INTO accounts (id, handle, handle_lower, display_name, password_hash, created_at, home_index)
       SELECT 'acc_' || lpad(a::text, 26, '0'), 'user_' || a, 'user_' || a, 'User ' || a, 'x', now(), a
         FROM generate_series(0, $1::int - 1) AS a`,
      [accounts],
    );
    await db.query("SELECT setval('account_home_index', $1::int)", [accounts]);
    // Post-it n belongs to account n / perAccount; its index i = n % perAccount picks agent or creation, and kind.
    const agentOf = `(n % ${perAccount}) % ${agentsPerAccount}`;
    const account = `(n / ${perAccount})`;
    await step(
      "agents",
      `INSERT INTO agents (id, account_id, name, kind, provider, prompt_template, color, cost_tokens, created_at, updated_at)
       SELECT 'ag_' || lpad(n::text, 26, '0'), 'acc_' || lpad(${account}::text, 26, '0'), 'Agent ' || n,
              ${kindSql(account, `(n % ${perAccount})`)}, '{"type":"local"}', '{{prompt}}',
              (ARRAY['${AGENT_COLOURS.join("','")}'])[(n % 4) + 1], 1, now(), now()
         FROM generate_series(0, $1::int - 1) AS n WHERE n % ${perAccount} < ${agentsPerAccount}`,
      [postits],
    );
    const CHUNK = 100_000;
    for (let from = 0; from < postits; from += CHUNK) {
      const to = Math.min(postits, from + CHUNK);
      await db.query(
        `INSERT INTO creations (id, account_id, job_id, kind, title, prompt, agent_ids, source_ids, sha256, media_type,
                                size_bytes, filename, thumbnail_sha256, state, published_at, created_at)
         SELECT 'cr_' || lpad(n::text, 26, '0'), 'acc_' || lpad(${account}::text, 26, '0'), 'job_bench', k,
                'Creation number ' || n, 'a prompt for ' || n,
                ARRAY['ag_' || lpad((${account} * ${perAccount} + ${agentOf})::text, 26, '0')],
                CASE WHEN n % ${forkEvery} = 7 AND n >= ${perAccount} THEN ARRAY['cr_' || lpad((n - ${perAccount})::text, 26, '0')] ELSE '{}' END,
                repeat('a', 64), (ARRAY['${KINDS.map((k) => MEDIA[k]).join("','")}'])[array_position(ARRAY['text','image','voice','video'], k)],
                1000, 'creation-' || n,
                CASE WHEN k IN ('image', 'video') THEN repeat('b', 64) END, 'published', now(), now()
           FROM (SELECT n, ${kindSql(account, agentOf)} AS k FROM generate_series($1::int, $2::int - 1) AS n
                  WHERE n % ${perAccount} >= ${agentsPerAccount}) AS c`,
        [from, to],
      );
      await db.query(
        `INSERT INTO wall_postits (seq, id, type, account_id, home_index, kind, x, y, rotation, colour, placed_at)
         SELECT n + 1, CASE WHEN agent THEN 'ag_' ELSE 'cr_' END || lpad(n::text, 26, '0'),
                CASE WHEN agent THEN 'agent' ELSE 'creation' END, 'acc_' || lpad(${account}::text, 26, '0'), ${account},
                CASE WHEN agent THEN ${kindSql(account, `(n % ${perAccount})`)} ELSE ${kindSql(account, agentOf)} END,
                x, y, r, c, now()
           FROM (SELECT ($1::int + o - 1)::int AS n, (($1::int + o - 1) % ${perAccount}) < ${agentsPerAccount} AS agent, x, y, r, c
                   FROM unnest($2::int[], $3::int[], $4::float8[], $5::text[]) WITH ORDINALITY AS u(x, y, r, c, o)) AS p`,
        [from, Array.from(xs.subarray(from, to)), Array.from(ys.subarray(from, to)), Array.from(rotations.subarray(from, to)), colours.slice(from, to)],
      );
      log(`creations and post-its ${to.toLocaleString("en")} / ${postits.toLocaleString("en")} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    await db.query("SELECT setval(pg_get_serial_sequence('wall_postits', 'seq'), $1::int)", [postits]);
    await step(
      "strings",
      `INSERT INTO wall_strings (id, type, from_id, to_id, colour, created_at)
       SELECT 'made:' || c.id || ':' || c.agent_ids[1], 'made_with', c.agent_ids[1], c.id, '#d4a017', now() FROM creations c
       UNION ALL
       SELECT 'fork:' || c.id || ':' || c.source_ids[1], 'forked_from', c.source_ids[1], c.id, '#8d6e63', now()
         FROM creations c WHERE cardinality(c.source_ids) > 0`,
    );
    await step("change log", "INSERT INTO wall_changes (postit_id, op) SELECT id, 'place' FROM wall_postits ORDER BY seq");
    await step("analyze", "ANALYZE");
  } finally {
    await db.close();
  }
  const seconds = (performance.now() - started) / 1000;
  log(`wall of ${postits.toLocaleString("en")} post-its written to ${dir} in ${seconds.toFixed(0)} s`);
  return { postits, accounts, seconds };
}
