import type { Agent, Creation, Lineage, WallString } from "@oto/sdk/schema";
import { useState } from "preact/hooks";
import type { Viewer } from "../viewer.js";
import { useFetch } from "./hooks.js";

const KIND_LABEL: Record<string, string> = { text: "Text", image: "Image", voice: "Voice", video: "Video" };

function CopyLine({ line }: { line: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(line);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div class="cli">
      <code data-testid="cli-line">{line}</code>
      <button type="button" class="copy" onClick={copy} aria-label="Copy the command">
        {copied ? "copied" : "copy"}
      </button>
    </div>
  );
}

/** A text creation's file, shown as text (never as HTML). */
function TextPreview({ url }: { url: string }) {
  const file = useFetch(url, async (signal) => {
    const response = await fetch(url, { signal });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const text = await response.text();
    return text.length > 20_000 ? `${text.slice(0, 20_000)}…` : text;
  });
  if (file.error) return <p class="muted">The text could not be loaded.</p>;
  if (file.data === undefined) return <p class="muted">loading…</p>;
  return <pre class="text-preview" data-testid="preview-text">{file.data}</pre>;
}

function Preview({ viewer, creation }: { viewer: Viewer; creation: Creation }) {
  const url = viewer.api.fileUrl(creation.id);
  const media = creation.file.media_type;
  if (creation.kind === "text") return <TextPreview url={url} />;
  if (creation.kind === "voice") return <audio class="media" controls preload="metadata" src={url} data-testid="preview-audio" />;
  if (creation.kind === "video" && media.startsWith("video/"))
    return <video class="media" controls preload="metadata" src={url} data-testid="preview-video" />;
  return <img class="media" src={url} alt={creation.title} data-testid={`preview-${creation.kind}`} />;
}

function LineageList({ viewer, lineage }: { viewer: Viewer; lineage: Lineage }) {
  return (
    <ol class="lineage" data-testid="lineage">
      {lineage.steps.map((step) => (
        <li key={step.creation_id}>
          {step.hidden || !step.creation ? (
            <span class="muted">a creation no longer public</span>
          ) : (
            <button type="button" class="link" onClick={() => void viewer.goTo(step.creation_id)}>
              {step.creation.title}
            </button>
          )}
          <span class="agents">
            {step.agents.map((a) => (
              <span class="agent-chip" key={a.id} style={{ borderColor: a.color }} data-testid="lineage-agent">
                <i style={{ background: a.color }} />
                {a.name}
              </span>
            ))}
          </span>
          {step.prompt ? <q class="prompt">{step.prompt}</q> : null}
        </li>
      ))}
    </ol>
  );
}

function CreationPanel({ viewer, id }: { viewer: Viewer; id: string }) {
  const creation = useFetch(`c:${id}`, (signal) => viewer.api.creation(id, signal));
  const lineage = useFetch(`l:${id}`, (signal) => viewer.api.lineage(id, signal));
  const postit = viewer.scene.postit(id);
  const tree = viewer.state.tree;
  if (creation.error) return <p class="muted">This creation is not available ({creation.error}).</p>;
  const c = creation.data;
  if (!c) return <p class="muted">loading…</p>;
  const agent = c.agents[0];
  return (
    <article data-testid="panel-creation" data-id={c.id} data-kind={c.kind}>
      <p class="kind">{KIND_LABEL[c.kind]}</p>
      <h2 data-testid="panel-title">{c.title}</h2>
      <p class="byline">
        by <strong>{c.author.display_name}</strong> <span class="muted">@{c.author.handle}</span>
      </p>
      <Preview viewer={viewer} creation={c} />
      {c.generator_notice ? <p class="notice">{c.generator_notice}</p> : null}
      <h3>Made with</h3>
      <p class="agents">
        {c.agents.map((a) => (
          <button type="button" class="agent-chip" key={a.id} style={{ borderColor: a.color }} onClick={() => void viewer.goTo(a.id, "agent")}>
            <i style={{ background: a.color }} />
            {a.name}
          </button>
        ))}
      </p>
      <p class="prompt-line">
        <q class="prompt">{c.prompt}</q>
      </p>
      <p class="counts" data-testid="counts">
        {postit ? `${postit.forks} fork${postit.forks === 1 ? "" : "s"}` : ""}
        {c.sources.length ? ` · made from ${c.sources.length} creation${c.sources.length === 1 ? "" : "s"}` : ""}
      </p>
      <h3>Lineage</h3>
      {lineage.data ? <LineageList viewer={viewer} lineage={lineage.data} /> : <p class="muted">{lineage.error ? "no lineage" : "loading…"}</p>}
      <div class="actions">
        {tree?.root === c.id ? (
          <button type="button" onClick={() => viewer.clearTree()}>
            Hide the tree ({tree.ids.length}
            {tree.truncated ? "+" : ""})
          </button>
        ) : (
          <button type="button" onClick={() => void viewer.showTree(c.id)} data-testid="show-tree">
            Highlight its tree
          </button>
        )}
      </div>
      <h3>Fork it</h3>
      <CopyLine line={`oto fork ${c.id} --agent ${agent?.id ?? "<agent>"} --prompt "…"`} />
    </article>
  );
}

function AgentPanel({ viewer, id }: { viewer: Viewer; id: string }) {
  const agent = useFetch(`a:${id}`, (signal) => viewer.api.agent(id, signal));
  const postit = viewer.scene.postit(id);
  if (agent.error) return <p class="muted">This agent is not available ({agent.error}).</p>;
  const a: Agent | undefined = agent.data;
  if (!a) return <p class="muted">loading…</p>;
  return (
    <article data-testid="panel-agent" data-id={a.id}>
      <p class="kind golden">Agent · {KIND_LABEL[a.kind]}</p>
      <h2 data-testid="panel-title">{a.name}</h2>
      <p class="byline">
        by <strong>{a.owner.display_name}</strong> <span class="muted">@{a.owner.handle}</span>
      </p>
      {a.description ? <p>{a.description}</p> : null}
      <p class="agents">
        <span class="agent-chip" style={{ borderColor: a.color }}>
          <i style={{ background: a.color }} /> string colour
        </span>
      </p>
      <p class="counts">
        {postit ? `${postit.forks} published creation${postit.forks === 1 ? "" : "s"}` : ""} · {a.cost_tokens} tokens a run
      </p>
      <h3>Use it</h3>
      <CopyLine line={`oto generate --agent ${a.id} --prompt "…"`} />
    </article>
  );
}

function StringPanel({ viewer, string }: { viewer: Viewer; string: WallString }) {
  const lineage = useFetch(`l:${string.to.id}`, (signal) => viewer.api.lineage(string.to.id, signal));
  const to = viewer.scene.postit(string.to.id);
  const from = viewer.scene.postit(string.from.id);
  return (
    <article data-testid="panel-string" data-id={string.id}>
      <p class="kind">{string.type === "made_with" ? "Made with" : "Forked from"}</p>
      <h2>
        {from?.title ?? "…"} → {to?.title ?? "…"}
      </h2>
      <h3>The agents along this link</h3>
      {lineage.data ? <LineageList viewer={viewer} lineage={lineage.data} /> : <p class="muted">{lineage.error ?? "loading…"}</p>}
    </article>
  );
}

export function Panel({ viewer }: { viewer: Viewer }) {
  const selection = viewer.state.selection;
  if (!selection) return null;
  return (
    <aside class="panel" aria-label="Details" data-testid="panel">
      <button type="button" class="close" aria-label="Close" onClick={() => viewer.select(null)}>
        ×
      </button>
      {selection.type === "string" ? (
        <StringPanel viewer={viewer} string={selection.string} />
      ) : selection.postitType === "agent" ? (
        <AgentPanel viewer={viewer} id={selection.id} />
      ) : (
        <CreationPanel viewer={viewer} id={selection.id} />
      )}
    </aside>
  );
}
