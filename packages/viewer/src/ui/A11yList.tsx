import type { WallPostIt } from "@oto/sdk/schema";
import { useRef } from "preact/hooks";
import type { Viewer } from "../viewer.js";

function label(p: WallPostIt): string {
  const what = p.type === "agent" ? `${p.kind} agent` : p.kind;
  return `${what}: ${p.title}, by @${p.author.handle}${p.forks ? `, ${p.forks} forks` : ""}`;
}

/**
 * The post-its in view as a list for screen readers and keyboards: arrows move between them and the camera
 * follows; Enter opens the preview. Hidden until it holds the focus.
 */
export function A11yList({ viewer }: { viewer: Viewer }) {
  const list = useRef<HTMLUListElement>(null);
  const items = viewer.state.inView;
  const move = (from: number, by: number) => {
    const buttons = list.current?.querySelectorAll<HTMLButtonElement>("button");
    if (!buttons?.length) return;
    const next = Math.max(0, Math.min(buttons.length - 1, from + by));
    buttons[next]!.focus();
  };
  return (
    <nav class="a11y-list" aria-label={`Post-its in view (${items.length})`} data-testid="a11y-list">
      <ul ref={list}>
        {items.map((p, i) => (
          <li key={p.id}>
            <button
              type="button"
              aria-label={label(p)}
              data-id={p.id}
              onFocus={() => viewer.focusPostit(p)}
              onClick={() => viewer.select({ type: "postit", id: p.id, postitType: p.type, postit: p })}
              onKeyDown={(e) => {
                if (e.key === "ArrowDown" || e.key === "ArrowRight") move(i, 1);
                else if (e.key === "ArrowUp" || e.key === "ArrowLeft") move(i, -1);
                else if (e.key === "Home") move(i, -items.length);
                else if (e.key === "End") move(i, items.length);
                else return;
                e.preventDefault();
                e.stopPropagation();
              }}
            >
              {label(p)}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
