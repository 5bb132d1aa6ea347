import type { Agent, CreateGenerationRequest, Oto } from "@oto/sdk";
import { CliError, UsageError } from "./errors.js";
import { tokens } from "./format.js";
import { checkId, isId, parseParameters, parseVariables } from "./parsers.js";
import type { Session } from "./session.js";

// What `oto generate` and `oto tokens quote` share: finding the agent and building the request.

/**
 * An agent by id (anyone's), or by name among your own (case does not matter). A name that
 * matches several of your agents is an error listing them.
 */
export async function resolveAgent(oto: Oto, ref: string): Promise<Agent> {
  if (isId("agent", ref)) return oto.agents.get(ref);
  if (/^ag_/.test(ref)) checkId("agent", ref);
  const wanted = ref.trim().toLowerCase();
  const matches: Agent[] = [];
  for await (const agent of oto.agents.listAll({ owner: "me", include_archived: true, limit: 100 })) {
    if (agent.name.toLowerCase() === wanted) matches.push(agent);
  }
  // An active agent wins over archived ones of the same name.
  const active = matches.filter((agent) => !agent.archived_at);
  const candidates = active.length > 0 ? active : matches;
  if (candidates.length === 1) return candidates[0] as Agent;
  if (candidates.length === 0) {
    throw new CliError(
      `you have no agent named "${ref}".`,
      1,
      'See yours with "oto agents list --mine", or pass an agent id (ag_…).',
    );
  }
  throw new CliError(
    `${candidates.length} of your agents are named "${ref}": ${candidates.map((agent) => agent.id).join(", ")}.`,
    1,
    "Pass the id of the one you mean.",
  );
}

export interface RunFlags {
  agent?: string;
  prompt?: string;
  var?: Array<[string, string]>;
  param?: Array<[string, string]>;
  from?: string[];
}

/** Asks for the agent (among yours) and the prompt when they are missing and oto may prompt. */
export async function buildRunRequest(
  s: Session,
  oto: Oto,
  flags: RunFlags,
  example: string,
): Promise<{ agent: Agent; body: CreateGenerationRequest }> {
  if (!flags.agent && !s.canPrompt) throw s.missing("--agent", example);
  if (!flags.prompt && !s.canPrompt) throw s.missing("--prompt", example);
  const inputs = (flags.from ?? []).map((id) => checkId("creation", id));
  const parameters = parseParameters(flags.param ?? []);
  const variables = parseVariables(flags.var ?? []);

  const agent = flags.agent ? await resolveAgent(oto, flags.agent) : await pickAgent(s, oto);
  if (agent.archived_at) {
    throw new CliError(`agent ${agent.id} (${agent.name}) is archived and no longer runs.`);
  }
  const prompt =
    flags.prompt ??
    (await s.prompt.text(`Prompt for ${agent.name} (${agent.kind}):`, {
      validate: (value) => value.trim().length > 0 || "Type what the agent should make.",
    }));
  if (!prompt.trim()) throw new UsageError("--prompt must not be empty.");

  const body: CreateGenerationRequest = { agent_id: agent.id, prompt };
  if (Object.keys(variables).length > 0) body.variables = variables;
  if (Object.keys(parameters).length > 0) body.parameters = parameters;
  if (inputs.length > 0) body.inputs = inputs;
  return { agent, body };
}

async function pickAgent(s: Session, oto: Oto): Promise<Agent> {
  const mine: Agent[] = [];
  for await (const agent of oto.agents.listAll({ owner: "me", limit: 100 })) mine.push(agent);
  if (mine.length === 0) {
    throw new CliError("you have no agents yet.", 1, 'Create one with "oto agents create", or pass --agent <id>.');
  }
  const id = await s.prompt.select(
    "Agent:",
    mine.map((agent) => ({ name: `${agent.name} (${agent.kind}, ${tokens(agent.cost_tokens)})`, value: agent.id })),
  );
  return mine.find((agent) => agent.id === id) as Agent;
}
