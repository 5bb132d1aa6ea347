import { KINDS, type Kind } from "../budgets.js";
import type { Viewer } from "../viewer.js";

const LABEL: Record<Kind, string> = { text: "Text", image: "Images", voice: "Voice", video: "Video" };

export function Filters({ viewer }: { viewer: Viewer }) {
  const kinds = viewer.state.kinds;
  return (
    <div class="chips" role="group" aria-label="Show kinds">
      {KINDS.map((kind) => (
        <button
          type="button"
          key={kind}
          class={`chip chip--${kind}`}
          aria-pressed={kinds.has(kind)}
          onClick={() => viewer.toggleKind(kind)}
          data-testid={`chip-${kind}`}
        >
          {LABEL[kind]}
        </button>
      ))}
    </div>
  );
}

export function ZoomControls({ viewer }: { viewer: Viewer }) {
  const { k, lost } = viewer.state;
  return (
    <div class="zoom" role="group" aria-label="Camera">
      {lost ? (
        <button type="button" class="back" onClick={() => viewer.camera.fit()} data-testid="back-to-content">
          Back to content
        </button>
      ) : null}
      <button type="button" onClick={() => viewer.camera.step(-1)} aria-label="Zoom out" title="Zoom out (−)">
        −
      </button>
      <span class="scale" aria-live="off" data-testid="scale">
        {Math.round(k * 100)}%
      </span>
      <button type="button" onClick={() => viewer.camera.step(1)} aria-label="Zoom in" title="Zoom in (+)">
        +
      </button>
      <button type="button" onClick={() => viewer.camera.fit()} aria-label="See the whole wall" title="The whole wall">
        ⤢
      </button>
      <button type="button" onClick={() => viewer.home()} aria-label="Home" title="Home">
        ⌂
      </button>
    </div>
  );
}
