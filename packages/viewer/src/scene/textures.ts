import { CanvasSource, Rectangle, Texture } from "pixi.js";
import type { Kind } from "../budgets.js";
import { FRAMES, type FrameName, drawAtlas, drawPaper } from "./art.js";

export type ArtTextures = Record<FrameName, Texture> & { icons: Record<Kind, Texture>; paper: Texture };

/** Draws the art once and cuts the atlas into frames (mipmapped, so far zooms stay smooth). */
export function createArt(): ArtTextures {
  const atlasCanvas = document.createElement("canvas");
  drawAtlas(atlasCanvas);
  const source = new CanvasSource({ resource: atlasCanvas, autoGenerateMipmaps: true, scaleMode: "linear" });
  const frames = {} as Record<FrameName, Texture>;
  for (const [name, f] of Object.entries(FRAMES) as [FrameName, (typeof FRAMES)[FrameName]][]) {
    frames[name] = new Texture({ source, frame: new Rectangle(f.x, f.y, f.w, f.h) });
  }
  const paperCanvas = document.createElement("canvas");
  drawPaper(paperCanvas);
  const paper = new Texture({
    source: new CanvasSource({ resource: paperCanvas, addressMode: "repeat", autoGenerateMipmaps: true, scaleMode: "linear" }),
  });
  return {
    ...frames,
    icons: { text: frames.text, image: frames.image, voice: frames.voice, video: frames.video },
    paper,
  };
}
