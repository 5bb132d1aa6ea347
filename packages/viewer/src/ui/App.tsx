import { useEffect } from "preact/hooks";
import type { Viewer } from "../viewer.js";
import { A11yList } from "./A11yList.js";
import { Filters, ZoomControls } from "./Controls.js";
import { useViewerState } from "./hooks.js";
import { Minimap } from "./Minimap.js";
import { Panel } from "./Panel.js";
import { Search } from "./Search.js";

export function App({ viewer }: { viewer: Viewer }) {
  const state = useViewerState(viewer);

  // Keyboard camera: + − 0 and arrows, unless typing or moving through the list.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest?.("input, textarea, select, .a11y-list, .panel, [contenteditable]")) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const pan = e.shiftKey ? 400 : 100;
      if (e.key === "+" || e.key === "=") viewer.camera.step(1);
      else if (e.key === "-" || e.key === "_") viewer.camera.step(-1);
      else if (e.key === "0") viewer.camera.jumpTo(viewer.camera.centre().cx, viewer.camera.centre().cy, 1);
      else if (e.key === "ArrowLeft") viewer.camera.panBy(-pan, 0);
      else if (e.key === "ArrowRight") viewer.camera.panBy(pan, 0);
      else if (e.key === "ArrowUp") viewer.camera.panBy(0, -pan);
      else if (e.key === "ArrowDown") viewer.camera.panBy(0, pan);
      else if (e.key === "Escape") viewer.select(null);
      else return;
      e.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [viewer]);

  return (
    <>
      <header class="bar">
        <h1 class="logo">oTo</h1>
        <Search viewer={viewer} />
        <Filters viewer={viewer} />
      </header>
      {state.error ? (
        <p class="error" role="alert">
          {state.error}
        </p>
      ) : null}
      {state.wall && !state.wall.bounds ? (
        <p class="empty">The wall is empty. Publish a creation with <code>oto publish</code> and it appears here.</p>
      ) : null}
      <A11yList viewer={viewer} />
      <Panel viewer={viewer} />
      <div class="corner">
        <Minimap viewer={viewer} />
      </div>
      <ZoomControls viewer={viewer} />
      <p class="sr-only" aria-live="polite" data-testid="announce">
        {state.announce}
      </p>
    </>
  );
}
