import { useEffect, useState } from "preact/hooks";
import type { Viewer, ViewerState } from "../viewer.js";

/** Re-renders when the viewer's state changes. */
export function useViewerState(viewer: Viewer): ViewerState {
  const [state, setState] = useState(viewer.state);
  useEffect(() => viewer.subscribe(() => setState(viewer.state)), [viewer]);
  return state;
}

/** Fetches once per key; `null` key = nothing to fetch. Aborts when the key changes. */
export function useFetch<T>(key: string | null, load: (signal: AbortSignal) => Promise<T>) {
  const [result, setResult] = useState<{ key: string; data?: T; error?: string } | null>(null);
  useEffect(() => {
    if (key === null) {
      setResult(null);
      return;
    }
    const controller = new AbortController();
    setResult({ key });
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setResult({ key, data }),
      (err: Error) => !controller.signal.aborted && setResult({ key, error: err.message }),
    );
    return () => controller.abort();
  }, [key]);
  return result?.key === key ? result : { key: key ?? "", data: undefined, error: undefined };
}
