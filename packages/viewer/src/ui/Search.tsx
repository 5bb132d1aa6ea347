import type { SearchHit } from "@oto/sdk/schema";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Viewer } from "../viewer.js";

export function Search({ viewer }: { viewer: Viewer }) {
  const [q, setQ] = useState("");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const query = q.trim();
    if (!query) {
      setHits(null);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      viewer.api.search(query, controller.signal).then(
        (page) => {
          setHits(page.data);
          setActive(0);
          setError(null);
        },
        (err: Error) => !controller.signal.aborted && setError(err.message),
      );
    }, 200);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);

  // Ctrl/Cmd+F or "/" focuses the search box (find on canvas).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = (e.target as HTMLElement)?.closest?.("input, textarea, [contenteditable]");
      if (((e.ctrlKey || e.metaKey) && e.key === "f") || (e.key === "/" && !typing)) {
        e.preventDefault();
        input.current?.focus();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);

  const go = (hit: SearchHit) => {
    viewer.goToHit(hit);
    setHits(null);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (!hits?.length) return;
    if (e.key === "ArrowDown") setActive((a) => Math.min(hits.length - 1, a + 1));
    else if (e.key === "ArrowUp") setActive((a) => Math.max(0, a - 1));
    else if (e.key === "Enter") go(hits[active]!);
    else if (e.key === "Escape") setHits(null);
    else return;
    e.preventDefault();
  };

  return (
    <div class="search" role="search">
      <input
        ref={input}
        type="search"
        placeholder="Search people and creations"
        aria-label="Search people and creations"
        value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        onKeyDown={onKeyDown}
        data-testid="search"
      />
      {error ? <p class="search-error">{error}</p> : null}
      {hits ? (
        <ul class="results" role="listbox" data-testid="results">
          {hits.length === 0 ? <li class="muted">Nothing found</li> : null}
          {hits.map((hit, i) => (
            <li key={`${hit.type}:${hit.id}`} role="option" aria-selected={i === active}>
              <button type="button" onClick={() => go(hit)} disabled={!hit.location} data-id={hit.id}>
                <span class="hit-title">{hit.title}</span>
                <span class="hit-sub">{hit.subtitle}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
