import { ExtensionType, type Renderer, extensions } from "pixi.js";
import { BUDGETS } from "../budgets.js";

/**
 * How the canvas is set up for the GPU at hand.
 *
 * A software rasteriser (SwiftShader, llvmpipe, WARP: what a browser falls back to without a usable GPU, and what
 * headless Chromium uses) shades every pixel on the CPU. There, 4× multisampling costs about 40% of a dense frame
 * and a device pixel ratio of 2 four times the pixels, so both are turned off: sprites keep smooth edges from
 * their textures' soft borders, only the thin strings lose their smoothing.
 */
export interface GpuProfile {
  software: boolean;
  /** The GPU's name as WebGL reports it (empty when the browser hides it). */
  name: string;
  antialias: boolean;
  resolution: number;
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|microsoft basic render|warp/i;

/** Asks a throwaway WebGL context which GPU draws the page. */
export function gpuProfile(devicePixelRatio = window.devicePixelRatio || 1): GpuProfile {
  let name = "";
  try {
    const gl = document.createElement("canvas").getContext("webgl2") ?? document.createElement("canvas").getContext("webgl");
    if (gl) {
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
      gl.getExtension("WEBGL_lose_context")?.loseContext();
    }
  } catch {
    // No WebGL at all: Pixi reports it when it starts.
  }
  const software = SOFTWARE.test(name);
  return {
    software,
    name,
    antialias: !software,
    resolution: software ? 1 : Math.min(devicePixelRatio, BUDGETS.maxResolution),
  };
}

/**
 * Caps the textures one batch may sample. Pixi compiles its batch and graphics shaders with an `if` per texture
 * unit (32 on SwiftShader), and every pixel walks that chain: on a software rasteriser a full-screen pass costs
 * about twice as much with 32 as with 8. The wall draws from one art atlas, a font page and a few thumbnails,
 * so a short chain loses nothing. Runs as a renderer system, after Pixi's own limits and before any shader is
 * compiled (systems' contextChange runs before the pipes').
 */
class BatchTextureCap {
  static extension = { type: [ExtensionType.WebGLSystem], name: "otoBatchTextureCap" } as const;
  constructor(private readonly renderer: Renderer) {}
  contextChange(): void {
    const limits = this.renderer.limits as { maxBatchableTextures: number };
    limits.maxBatchableTextures = Math.min(limits.maxBatchableTextures, BUDGETS.maxBatchTextures);
  }
  destroy(): void {}
}

let registered = false;
/** Registers the cap; call before creating the renderer. */
export function capBatchTextures(): void {
  if (registered) return;
  registered = true;
  extensions.add(BatchTextureCap);
}
