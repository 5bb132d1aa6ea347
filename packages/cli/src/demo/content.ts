// The words the demo wall is made of: people, their agents, and prompts worth reading on a post-it.
import type { GenerationParameters, OutputKind } from "@oto/sdk";

export interface Persona {
  handle: string;
  displayName: string;
}

export const PERSONAS: readonly Persona[] = [
  { handle: "mira", displayName: "Mira Okafor" },
  { handle: "tomas", displayName: "Tomás Ferreira" },
  { handle: "yuki", displayName: "Yuki Tanabe" },
  { handle: "ines", displayName: "Inès Moreau" },
  { handle: "arjun", displayName: "Arjun Mehta" },
  { handle: "saoirse", displayName: "Saoirse Byrne" },
  { handle: "lena", displayName: "Lena Vogel" },
  { handle: "kofi", displayName: "Kofi Mensah" },
  { handle: "noor", displayName: "Noor Haddad" },
  { handle: "pablo", displayName: "Pablo Ruiz" },
  { handle: "astrid", displayName: "Astrid Lund" },
  { handle: "wen", displayName: "Wen Zhao" },
  { handle: "olu", displayName: "Olúwásẹ̀un Adé" },
  { handle: "marta", displayName: "Marta Kowalska" },
  { handle: "felix", displayName: "Felix Brandt" },
  { handle: "amara", displayName: "Amara Diallo" },
  { handle: "jonah", displayName: "Jonah Reyes" },
  { handle: "elif", displayName: "Elif Şahin" },
  { handle: "rafa", displayName: "Rafaela Costa" },
  { handle: "hugo", displayName: "Hugo Lefèvre" },
  { handle: "priya", displayName: "Priya Nair" },
  { handle: "ilya", displayName: "Ilya Sokolov" },
  { handle: "greta", displayName: "Greta Holm" },
  { handle: "dario", displayName: "Dario Conti" },
];

export interface AgentSpec {
  name: string;
  description: string;
  template: string;
  parameters: GenerationParameters;
}

// Small outputs: the local generator renders them in well under a second.
const PARAMETERS: Record<OutputKind, GenerationParameters> = {
  text: { max_words: 120 },
  image: { width: 512, height: 512 },
  voice: { duration_s: 3 },
  video: { width: 256, height: 256, duration_s: 2, fps: 8 },
};

const AGENT_NAMES: Record<OutputKind, readonly [string, string, string][]> = {
  text: [
    ["Night-shift poet", "Short poems written after midnight.", "A short poem: {{prompt}}"],
    ["Margin scribbler", "Notes found in the margins of old books.", "A note scribbled in a margin: {{prompt}}"],
    ["Postcard writer", "Postcards from places that may not exist.", "A postcard: {{prompt}}"],
    ["Fable keeper", "Tiny fables with a twist.", "A fable in five sentences: {{prompt}}"],
  ],
  image: [
    ["Ink sketcher", "Pen-and-ink sketches of anything.", "An ink sketch of {{prompt}}"],
    ["Watercolour window", "Soft watercolours seen through a window.", "A watercolour of {{prompt}}"],
    ["Cyanotype lab", "Deep blue sun prints.", "A cyanotype of {{prompt}}"],
    ["Linocut press", "Bold linocut prints.", "A linocut print of {{prompt}}"],
  ],
  voice: [
    ["Lighthouse radio", "A late-night voice from the coast.", "Spoken softly on the radio: {{prompt}}"],
    ["Lullaby booth", "Hummed lullabies.", "A hummed lullaby about {{prompt}}"],
    ["Street crier", "Announcements from a town square.", "Announced in the town square: {{prompt}}"],
    ["Whisper archive", "Whispered secrets.", "Whispered: {{prompt}}"],
  ],
  video: [
    ["Flipbook studio", "Hand-drawn flipbook loops.", "A flipbook loop of {{prompt}}"],
    ["Zoetrope", "Spinning zoetrope animations.", "A zoetrope animation of {{prompt}}"],
    ["Stop-motion desk", "Paper stop-motion.", "A paper stop-motion of {{prompt}}"],
    ["Tide camera", "Slow loops of moving water and light.", "A slow loop of {{prompt}}"],
  ],
};

export const AGENT_COLOURS = ["#d9485f", "#2f7fc1", "#2e9e6b", "#8e5cc2", "#e08a1e", "#1f9aa8", "#c2527a", "#6b8e23"];

export function agentSpec(kind: OutputKind, variant: number): AgentSpec {
  const options = AGENT_NAMES[kind];
  const [name, description, template] = options[variant % options.length]!;
  return { name, description, template, parameters: PARAMETERS[kind] };
}

const SUBJECTS = [
  "a lighthouse keeper's last letter",
  "a fox crossing a frozen river at dawn",
  "the night market after the rain",
  "a library where the books migrate in spring",
  "an orchard growing on the roof of a tram",
  "a whale singing under the city",
  "the last train to the coast",
  "a grandmother's kitchen full of steam",
  "a paper boat on a flooded street",
  "a moth circling a streetlamp",
  "a glasshouse in a snowstorm",
  "a clockmaker who repairs hours",
  "two kites tangled above a beach",
  "a map of a city that only exists at night",
  "a garden of radio antennas",
  "the sound of a harbour at 4 a.m.",
  "a tiny island with one tree",
  "bees writing letters in wax",
  "a bicycle leaning on a sunflower wall",
  "an observatory full of sleeping cats",
  "fog rolling over a mountain village",
  "a violin left out in the rain",
  "the first snow on a quiet street",
  "a lantern festival on the river",
];

const MOODS = ["at dusk", "in falling snow", "under a red moon", "in late summer", "on a windy morning", "by candlelight", "in the blue hour", "after a storm"];

const FORK_TWISTS = [
  "the same scene, a hundred years later",
  "retold as a lullaby",
  "seen from the sky",
  "turned upside down",
  "as a dream someone half remembers",
  "at the exact opposite time of day",
  "with everything made of paper",
  "from the point of view of the smallest thing in it",
  "in winter",
  "as a postcard home",
  "slowed down until it almost stops",
  "with one colour missing",
];

export function rootPrompt(subject: number, mood: number): string {
  return `${SUBJECTS[subject % SUBJECTS.length]} ${MOODS[mood % MOODS.length]}`;
}

/** A fork keeps its chain's subject and adds a twist: "a paper boat on a flooded street, seen from the sky". */
export function forkPrompt(subject: number, twist: number): string {
  return `${SUBJECTS[subject % SUBJECTS.length]}, ${FORK_TWISTS[twist % FORK_TWISTS.length]}`;
}

export const SUBJECT_COUNT = SUBJECTS.length;
export const MOOD_COUNT = MOODS.length;
export const TWIST_COUNT = FORK_TWISTS.length;
