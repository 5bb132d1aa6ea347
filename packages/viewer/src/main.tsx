import "pixi.js/unsafe-eval";
import { render } from "preact";
import { BitmapFont } from "pixi.js";
import { HAND_FONT } from "./scene/tileViews.js";
import { App } from "./ui/App.js";
import { Viewer } from "./viewer.js";

/** The handwriting font as a bitmap font: glyphs drawn once into an atlas, shared by every title. */
async function installHandFont(): Promise<void> {
  try {
    await document.fonts.load('48px "Caveat"');
  } catch {
    // fall back to the cursive family below
  }
  BitmapFont.install({
    name: HAND_FONT,
    style: { fontFamily: '"Caveat", "Patrick Hand", cursive', fontSize: 48, fill: "#ffffff", fontWeight: "500" },
    chars: [[" ", "~"], "’‘“”–—…éèêàâçôûîïüöäñÉ"],
    resolution: 1,
    padding: 10,
  });
}

async function main(): Promise<void> {
  const surface = document.getElementById("wall")!;
  const ui = document.getElementById("ui")!;
  const viewer = new Viewer();
  (window as unknown as { oto: Viewer }).oto = viewer;
  render(<App viewer={viewer} />, ui);
  await installHandFont();
  await viewer.start(surface);
}

void main();
