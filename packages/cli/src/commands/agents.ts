import { Command, Option } from "commander";
import type { Agent, AgentProvider, CreateAgentRequest, OutputKind, UpdateAgentRequest } from "@oto/sdk";
import { ExitCode, UsageError } from "../errors.js";
import { agentNames, providerShort, providerText, swatch, tokens } from "../format.js";
import { shortDate, timeAgo } from "../io.js";
import {
  OUTPUT_KINDS,
  PARAMETERS_BY_KIND,
  STANDARD_COST,
  collect,
  keyValue,
  parseColor,
  parseKind,
  parseLimit,
  parseParameters,
  wholeNumber,
} from "../parsers.js";
import { resolveAgent } from "../runs.js";
import { type AppContext, Session } from "../session.js";
import { examples } from "./help.js";

interface AgentFlags {
  name?: string;
  description?: string;
  template?: string;
  provider?: "local" | "runpod";
  endpointId?: string;
  model?: string;
  cost?: number;
  color?: string;
  param?: Array<[string, string]>;
}

interface CreateFlags extends AgentFlags {
  kind?: OutputKind;
}

interface ListFlags {
  mine?: boolean;
  owner?: string;
  kind?: OutputKind;
  archived?: boolean;
  limit: number;
  cursor?: string;
  all?: boolean;
}

const ENDPOINT_ID = /^[0-9a-zA-Z_-]{1,64}$/;
const CREATE_EXAMPLE = 'oto agents create --name "Ink sketcher" --kind image';

/** The options create and update share; `withKind` adds --kind (create only: the kind never changes). */
function withAgentOptions(cmd: Command, withKind = false): Command {
  cmd.option("--name <name>", "the agent's name (1–60 characters)");
  if (withKind) {
    cmd.addOption(new Option("--kind <kind>", "what it makes").choices(OUTPUT_KINDS).argParser(parseKind));
  }
  return cmd
    .option("--description <text>", "what it makes (up to 500 characters)")
    .option("--template <template>", "the prompt template; must contain {{prompt}} (default: {{prompt}})")
    .addOption(new Option("--provider <provider>", "where it runs (default: local)").choices(["local", "runpod"]))
    .option("--endpoint-id <id>", "the RunPod serverless endpoint id (implies --provider runpod)")
    .option("--model <model>", "the model name passed to the RunPod worker")
    .option("--cost <tokens>", "tokens per run (default: the kind's standard cost)", wholeNumber(0, 100_000))
    .option("--color <hex>", "the post-it colour, like #d4a017 (default: derived from the name)", parseColor)
    .option("--param <key=value>", "a default generation parameter, e.g. width=768 (repeatable)", keyValue);
}

export function registerAgentsCommands(program: Command, ctx: AppContext): void {
  const agents = new Command("agents")
    .description("Create and manage agents (the golden post-its that make things)")
    .addHelpText(
      "after",
      examples([
        "oto agents create",
        "oto agents list --mine",
        "oto agents show ag_…",
        "oto agents archive ag_… --yes",
      ]),
    );

  withAgentOptions(
    agents.command("create").description("Create an agent: a wizard on a terminal, flags otherwise"),
    true,
  )
    .addHelpText(
      "after",
      `${examples([
        "oto agents create",
        `${CREATE_EXAMPLE} --template "a pen and ink sketch of {{prompt}}" --param width=768 --param height=512`,
        "oto agents create --name Narrator --kind voice --provider runpod --endpoint-id abc123 --model xtts --json",
      ])}\nOff a terminal (or with --no-input), --name and --kind are required.\n`,
    )
    .action((opts: CreateFlags, cmd: Command) => createAgent(new Session(ctx, cmd), opts));

  agents
    .command("list")
    .description("List agents, newest first: every active one, yours, or someone's")
    .option("--mine", "only your agents")
    .option("--owner <handle>", "only this account's agents")
    .addOption(new Option("--kind <kind>", "only agents of this kind").choices(OUTPUT_KINDS))
    .option("--archived", "with --mine: include archived agents")
    .option("--limit <n>", "how many per page (1–100)", parseLimit, 20)
    .option("--cursor <cursor>", "the page after the one that printed this cursor")
    .option("--all", "follow every page")
    .addHelpText(
      "after",
      examples([
        "oto agents list",
        "oto agents list --mine --archived",
        "oto agents list --owner ada --kind image --json",
      ]),
    )
    .action((opts: ListFlags, cmd: Command) => listAgents(new Session(ctx, cmd), opts));

  agents
    .command("show")
    .description("Show an agent's settings")
    .argument("<agent>", "an agent id (ag_…), or the name of one of yours")
    .addHelpText(
      "after",
      examples(["oto agents show ag_01jd3x9v6q8r5m2k7n4p0w1z3y", 'oto agents show "Ink sketcher" --json']),
    )
    .action((ref: string, _opts: unknown, cmd: Command) => showAgent(new Session(ctx, cmd), ref));

  withAgentOptions(
    agents
      .command("update")
      .description("Change some settings of one of your agents (the kind never changes)")
      .argument("<agent>", "an agent id (ag_…), or the name of one of yours"),
  )
    .addHelpText(
      "after",
      `${examples([
        "oto agents update ag_… --cost 2",
        'oto agents update "Ink sketcher" --param width=1024 --color "#3366cc"',
      ])}\n--param values are merged into the agent's default parameters.\n`,
    )
    .action((ref: string, opts: AgentFlags, cmd: Command) => updateAgent(new Session(ctx, cmd), ref, opts));

  agents
    .command("archive")
    .description("Archive one of your agents: it stops accepting runs; its creations stay")
    .argument("<agent>", "an agent id (ag_…), or the name of one of yours")
    .option("-y, --yes", "archive without asking for confirmation")
    .addHelpText("after", examples(["oto agents archive ag_…", "oto agents archive ag_… --yes --json"]))
    .action((ref: string, opts: { yes?: boolean }, cmd: Command) => archiveAgent(new Session(ctx, cmd), ref, opts));

  program.addCommand(agents);
}

// ---------------------------------------------------------------------------------------------
// create

const validateTemplate = (value: string): true | string =>
  value.includes("{{prompt}}") || "The template must contain {{prompt}} (where the prompt goes).";
const validateEndpoint = (value: string): true | string =>
  ENDPOINT_ID.test(value.trim()) || "1–64 characters: letters, digits, _ and -.";
const validateName = (value: string): true | string =>
  (value.trim().length >= 1 && value.trim().length <= 60) || "1 to 60 characters.";

async function createAgent(s: Session, opts: CreateFlags): Promise<void> {
  const missing = [!opts.name && "--name", !opts.kind && "--kind"].filter(Boolean) as string[];
  if (missing.length > 0 && !s.canPrompt) throw s.missing(missing.join(" and "), CREATE_EXAMPLE);
  checkProviderFlags(opts);
  const { oto, auth } = await s.authedClient();
  const wizard = missing.length > 0;
  const body = wizard ? await askForAgent(s, opts) : agentRequestFromFlags(opts, opts.kind as OutputKind);

  const agent = await s.out.withSpinner(`Creating ${body.name} on ${auth.server}`, () => oto.agents.create(body));
  if (s.globals.json) return s.out.json(agent);
  s.out.success(
    `Created agent ${agent.id} "${agent.name}" (${agent.kind}, ${tokens(agent.cost_tokens)} per run, ${providerShort(agent.provider)}).`,
  );
  s.out.line(agent.id);
  s.out.info(`  Run it: oto generate --agent ${agent.id} --prompt "…" --wait`);
}

function checkProviderFlags(opts: AgentFlags): void {
  if (opts.provider === "local" && (opts.endpointId || opts.model)) {
    throw new UsageError("--endpoint-id and --model are for --provider runpod, not local.");
  }
  if (opts.endpointId !== undefined && !ENDPOINT_ID.test(opts.endpointId)) {
    throw new UsageError(`--endpoint-id must be 1–64 letters, digits, _ or - (got "${opts.endpointId}").`);
  }
  if (opts.template !== undefined && validateTemplate(opts.template) !== true) {
    throw new UsageError("--template must contain {{prompt}} (where the prompt goes).");
  }
}

/** The provider the flags ask for, or undefined when they name none. */
function providerFromFlags(opts: AgentFlags, current?: AgentProvider): AgentProvider | undefined {
  const runpod = opts.provider === "runpod" || opts.endpointId !== undefined || opts.model !== undefined;
  if (opts.provider === "local") return { type: "local" };
  if (!runpod) return undefined;
  const endpointId = opts.endpointId ?? (current?.type === "runpod" ? current.endpoint_id : undefined);
  if (!endpointId) throw new UsageError("--provider runpod needs --endpoint-id <id>.");
  const model = opts.model ?? (current?.type === "runpod" && !opts.endpointId ? current.model : undefined);
  return { type: "runpod", endpoint_id: endpointId, ...(model ? { model } : {}) };
}

function agentRequestFromFlags(opts: AgentFlags, kind: OutputKind): CreateAgentRequest {
  const body: CreateAgentRequest = { name: (opts.name ?? "").trim(), kind };
  const provider = providerFromFlags(opts);
  if (provider) body.provider = provider;
  if (opts.description !== undefined) body.description = opts.description;
  if (opts.template !== undefined) body.prompt_template = opts.template;
  if (opts.cost !== undefined) body.cost_tokens = opts.cost;
  if (opts.color !== undefined) body.color = opts.color;
  if (opts.param?.length) body.default_parameters = parseParameters(opts.param);
  return body;
}

/** The wizard: asks for each setting the flags did not give. */
async function askForAgent(s: Session, opts: CreateFlags): Promise<CreateAgentRequest> {
  const { prompt } = s;
  const name = opts.name ?? (await prompt.text("Name:", { validate: validateName })).trim();
  const kind =
    opts.kind ??
    (await prompt.select<OutputKind>("What does it make?", [
      { name: "text (Markdown)", value: "text" },
      { name: "image", value: "image" },
      { name: "voice (audio)", value: "voice" },
      { name: "video", value: "video" },
    ]));
  const description = opts.description ?? (await prompt.text("Description (optional):", { default: "" }));

  let provider = providerFromFlags(opts);
  if (!provider) {
    const type = await prompt.select<"local" | "runpod">("Where does it run?", [
      { name: "local: oTo's offline generator (placeholders, not AI)", value: "local" },
      { name: "runpod: a RunPod serverless endpoint", value: "runpod" },
    ]);
    if (type === "local") provider = { type: "local" };
    else {
      const endpointId = (await prompt.text("RunPod endpoint id:", { validate: validateEndpoint })).trim();
      const model = (await prompt.text("Model (optional):", { default: "" })).trim();
      provider = { type: "runpod", endpoint_id: endpointId, ...(model ? { model } : {}) };
    }
  }
  const template =
    opts.template ?? (await prompt.text("Prompt template:", { default: "{{prompt}}", validate: validateTemplate }));
  const cost =
    opts.cost ??
    Number(
      await prompt.text("Tokens per run:", {
        default: String(STANDARD_COST[kind]),
        validate: (value) =>
          (/^\d+$/.test(value.trim()) && Number(value) <= 100_000) || "A whole number from 0 to 100000.",
      }),
    );
  const color =
    opts.color ??
    (await prompt.text("Colour (#rrggbb, empty: derived from the name):", {
      default: "",
      validate: (value) =>
        value.trim() === "" || /^#?[0-9a-fA-F]{6}$/.test(value.trim()) || 'A hex colour like "#d4a017".',
    }));

  const body: CreateAgentRequest = { name, kind, provider, prompt_template: template, cost_tokens: cost };
  if (description.trim()) body.description = description.trim();
  if (color.trim()) body.color = parseColor(color);
  if (opts.param?.length) body.default_parameters = parseParameters(opts.param);
  return body;
}

// ---------------------------------------------------------------------------------------------
// list, show

async function listAgents(s: Session, opts: ListFlags): Promise<void> {
  if (opts.mine && opts.owner) throw new UsageError("--mine and --owner cannot be used together.");
  if (opts.archived && !opts.mine) throw new UsageError("--archived only works with --mine.");
  if (opts.all && opts.cursor) throw new UsageError("--all and --cursor cannot be used together.");
  const { oto, auth } = opts.mine ? await s.authedClient() : await s.optionalClient();
  const server = auth?.server ?? (await s.server());
  const params = {
    ...(opts.mine ? { owner: "me" } : opts.owner ? { owner: opts.owner.replace(/^@/, "") } : {}),
    ...(opts.kind ? { kind: opts.kind } : {}),
    ...(opts.archived ? { include_archived: true } : {}),
    limit: opts.limit,
  };
  const page = await s.out.withSpinner(`Listing agents on ${server}`, async () => {
    if (!opts.all) return oto.agents.list({ ...params, ...(opts.cursor ? { cursor: opts.cursor } : {}) });
    const data: Agent[] = [];
    for await (const agent of oto.agents.listAll(params)) data.push(agent);
    return { data, next_cursor: null };
  });
  if (s.globals.json) return s.out.json(page);
  if (page.data.length === 0) {
    s.out.info(opts.mine ? 'You have no agents yet. Create one with "oto agents create".' : "No agents.");
    return;
  }
  const { out } = s.out;
  s.out.table<Agent>(
    [
      { header: "id", value: (agent) => agent.id },
      { header: "name", value: (agent) => agent.name, style: (text, agent) => `${swatch(agent.color, out)}${text}` },
      { header: "kind", value: (agent) => agent.kind },
      { header: "cost", value: (agent) => String(agent.cost_tokens) },
      { header: "provider", value: (agent) => providerShort(agent.provider) },
      { header: "owner", value: (agent) => `@${agent.owner.handle}` },
      {
        header: "created",
        value: (agent) => (agent.archived_at ? `archived ${timeAgo(agent.archived_at)}` : timeAgo(agent.created_at)),
        style: (text, agent) => (agent.archived_at ? out.dim(text) : text),
      },
    ],
    page.data,
  );
  if (page.next_cursor) s.out.info(`More agents: add --cursor ${page.next_cursor}  (or --all for every page)`);
}

async function showAgent(s: Session, ref: string): Promise<void> {
  const { oto, auth } = await s.optionalClient();
  const server = auth?.server ?? (await s.server());
  const agent = await s.out.withSpinner(`Looking up ${ref} on ${server}`, () => resolveAgent(oto, ref));
  if (s.globals.json) return s.out.json(agent);
  printAgent(s, agent);
}

function printAgent(s: Session, agent: Agent): void {
  const { out } = s.out;
  s.out.line(`${swatch(agent.color, out)}${out.bold(agent.name)}  ${out.dim(agent.id)}`);
  if (agent.description) s.out.line(agent.description);
  const parameters = Object.entries(agent.default_parameters)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  s.out.keyValues([
    ["kind", agent.kind],
    ["provider", providerText(agent.provider)],
    ["template", agent.prompt_template],
    ["parameters", parameters || `none (${PARAMETERS_BY_KIND[agent.kind].join(", ")} apply)`],
    ["cost", `${tokens(agent.cost_tokens)} per run`],
    ["colour", agent.color],
    ["owner", `@${agent.owner.handle} (${agent.owner.display_name})`],
    ["created", shortDate(agent.created_at)],
    ["updated", shortDate(agent.updated_at)],
    ...(agent.archived_at ? ([["archived", shortDate(agent.archived_at)]] as Array<[string, string]>) : []),
  ]);
}

// ---------------------------------------------------------------------------------------------
// update, archive

async function updateAgent(s: Session, ref: string, opts: AgentFlags): Promise<void> {
  const given = ["name", "description", "template", "provider", "endpointId", "model", "cost", "color", "param"].filter(
    (key) => opts[key as keyof AgentFlags] !== undefined,
  );
  if (given.length === 0) {
    throw new UsageError(
      "nothing to update: give at least one of --name, --description, --template, --provider, --endpoint-id, --model, --cost, --color, --param.",
      `Example: oto agents update ${ref} --cost 2`,
    );
  }
  checkProviderFlags(opts);
  const { oto, auth } = await s.authedClient();
  const agent = await s.out.withSpinner(`Updating ${ref} on ${auth.server}`, async () => {
    const current = await resolveAgent(oto, ref);
    const body: UpdateAgentRequest = {};
    if (opts.name !== undefined) body.name = opts.name.trim();
    if (opts.description !== undefined) body.description = opts.description;
    if (opts.template !== undefined) body.prompt_template = opts.template;
    if (opts.cost !== undefined) body.cost_tokens = opts.cost;
    if (opts.color !== undefined) body.color = opts.color;
    const provider = providerFromFlags(opts, current.provider);
    if (provider) body.provider = provider;
    if (opts.param?.length) {
      body.default_parameters = { ...current.default_parameters, ...parseParameters(opts.param) };
    }
    return oto.agents.update(current.id, body);
  });
  if (s.globals.json) return s.out.json(agent);
  s.out.success(`Updated agent ${agent.id} "${agent.name}".`);
  printAgent(s, agent);
}

async function archiveAgent(s: Session, ref: string, opts: { yes?: boolean }): Promise<void> {
  if (!opts.yes && !s.canPrompt) throw s.missing("--yes", `oto agents archive ${ref} --yes`);
  const { oto, auth } = await s.authedClient();
  const agent = await s.out.withSpinner(`Looking up ${ref} on ${auth.server}`, () => resolveAgent(oto, ref));
  if (agent.archived_at && !s.globals.json) {
    s.out.info(`Agent ${agent.id} "${agent.name}" was already archived on ${shortDate(agent.archived_at)}.`);
    return;
  }
  if (!opts.yes) {
    s.out.info("It stops accepting runs; the creations made with it stay.");
    if (!(await s.prompt.confirm(`Archive agent ${agent.id} "${agent.name}" (${agent.kind})?`))) {
      s.out.info("Nothing was archived.");
      s.ctx.exitCode = ExitCode.usage;
      return;
    }
  }
  const archived = await s.out.withSpinner(`Archiving ${agent.id}`, () => oto.agents.archive(agent.id));
  if (s.globals.json) return s.out.json(archived);
  s.out.success(`Archived agent ${archived.id} "${agentNames([archived])}".`);
}
