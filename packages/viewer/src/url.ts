/**
 * The shareable view in the address bar: `?v=x.y.k` (the wall point at the centre of the screen and the
 * scale; integers for x and y, k with 4 significant digits, `_` before a negative number so the dots stay
 * separators), `?n=<creation or agent id>` (the selected post-it), `?h=<handle>` (an account's home).
 */
export interface ViewState {
  /** Wall point at the centre of the screen. */
  cx: number;
  cy: number;
  k: number;
}

export interface UrlState {
  view?: ViewState;
  node?: string;
  handle?: string;
}

const num = (n: number): string => (n < 0 ? `_${-n}` : `${n}`);
const parseNum = (s: string): number => (s.startsWith("_") ? -Number(s.slice(1)) : Number(s));

export function formatView(view: ViewState): string {
  return [num(Math.round(view.cx)), num(Math.round(view.cy)), num(Number(view.k.toPrecision(4)))].join(".");
}

export function parseView(text: string | null): ViewState | undefined {
  if (!text) return undefined;
  const match = /^(_?\d+)\.(_?\d+)\.(\d+(?:\.\d+)?(?:e-?\d+)?)$/.exec(text);
  if (!match) return undefined;
  const view = { cx: parseNum(match[1]!), cy: parseNum(match[2]!), k: Number(match[3]) };
  return Number.isFinite(view.k) && view.k > 0 ? view : undefined;
}

const ID = /^[a-z]{2,4}_[0-9a-z]{6,40}$/;
const HANDLE = /^[a-z0-9][a-z0-9_-]{0,38}$/i;

export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const state: UrlState = {};
  const view = parseView(params.get("v"));
  if (view) state.view = view;
  const node = params.get("n");
  if (node && ID.test(node)) state.node = node;
  const handle = params.get("h");
  if (handle && HANDLE.test(handle)) state.handle = handle;
  return state;
}

/** The query string for a state, keeping any other parameters of `search` as they were. */
export function formatUrlState(state: UrlState, search = ""): string {
  const params = new URLSearchParams(search);
  for (const name of ["v", "n", "h"]) params.delete(name);
  if (state.view) params.set("v", formatView(state.view));
  if (state.node) params.set("n", state.node);
  if (state.handle) params.set("h", state.handle);
  const text = params.toString().replace(/%2F/g, "/");
  return text ? `?${text}` : "";
}
