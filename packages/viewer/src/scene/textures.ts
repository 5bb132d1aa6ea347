import { CanvasSource, Rectangle, Texture } from "pixi.js";
import type { Kind } from "../budgets.js";
import { BODY_PX, FRAMES, type FrameName, drawAtlas, drawPaper } from "./art.js";

export type ArtTextures = Record<FrameName, Texture> & { icons: Record<Kind, Texture>; paper: Texture };

/**
 * The transparent margin the post-it bodies' frames keep around the paper (its curl reaches 6 px below): the
 * rest of the 512 px frame is cut off, so each of the thousands of body quads fills 9% fewer pixels.
 */
const BODY_TRIM = (FRAMES.note.w - BODY_PX) / 2 - 12;

/**
 * Draws the art once and cuts the atlas into frames (mipmapped, so far zooms stay smooth). `software`: sample one
 * mip level instead of blending two (a software rasteriser pays for every texel fetched; see scene/gpu.ts).
 */
export function createArt(software = false): ArtTextures {
  const mipmapFilter = software ? "nearest" : "linear";
  const atlasCanvas = document.createElement("canvas");
  drawAtlas(atlasCanvas);
  const source = new CanvasSource({ resource: atlasCanvas, autoGenerateMipmaps: true, scaleMode: "linear", mipmapFilter });
  const frames = {} as Record<FrameName, Texture>;
  for (const [name, f] of Object.entries(FRAMES) as [FrameName, (typeof FRAMES)[FrameName]][]) {
    const trim = name === "note" || name === "agent" ? BODY_TRIM : 0;
    frames[name] = new Texture({ source, frame: new Rectangle(f.x + trim, f.y + trim, f.w - 2 * trim, f.h - 2 * trim) });
  }
  const paperCanvas = document.createElement("canvas");
  drawPaper(paperCanvas);
  const paper = new Texture({
    source: new CanvasSource({
      resource: paperCanvas,
      addressMode: "repeat",
      autoGenerateMipmaps: true,
      scaleMode: "linear",
      mipmapFilter,
    }),
  });
  return {
    ...frames,
    icons: { text: frames.text, image: frames.image, voice: frames.voice, video: frames.video },
    paper,
  };
}
