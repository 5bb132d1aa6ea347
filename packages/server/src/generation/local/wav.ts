// A tiny RIFF/WAVE writer and reader for 16-bit PCM, with a LIST/INFO chunk for provenance text.

export interface WavInfo {
  /** INAM: title. */
  title: string;
  /** ICMT: comment. */
  comment: string;
  /** ISFT: software. */
  software: string;
}

/** INFO strings are plain bytes; keep them printable ASCII so every reader shows them. */
function asciiBytes(text: string): Uint8Array {
  const ascii = text
    .normalize("NFKD")
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/[^\x20-\x7e]/g, "");
  return new TextEncoder().encode(ascii);
}

function infoSubchunk(id: string, text: string): Uint8Array {
  const body = asciiBytes(text);
  const size = body.length + 1; // NUL-terminated
  const chunk = new Uint8Array(8 + size + (size % 2));
  const view = new DataView(chunk.buffer);
  chunk.set(new TextEncoder().encode(id), 0);
  view.setUint32(4, size, true);
  chunk.set(body, 8);
  return chunk;
}

export function encodeWav(samples: Int16Array, sampleRate: number, info: WavInfo): Uint8Array {
  const subchunks = [infoSubchunk("INAM", info.title), infoSubchunk("ICMT", info.comment), infoSubchunk("ISFT", info.software)];
  const listSize = 4 + subchunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const dataSize = samples.length * 2;
  const total = 12 + (8 + 16) + (8 + listSize) + (8 + dataSize + (dataSize % 2));
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string): void => bytes.set(new TextEncoder().encode(text), offset);

  ascii(0, "RIFF");
  view.setUint32(4, total - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  let offset = 36;
  ascii(offset, "LIST");
  view.setUint32(offset + 4, listSize, true);
  ascii(offset + 8, "INFO");
  offset += 12;
  for (const chunk of subchunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  ascii(offset, "data");
  view.setUint32(offset + 4, dataSize, true);
  offset += 8;
  for (let i = 0; i < samples.length; i++) view.setInt16(offset + i * 2, samples[i] as number, true);
  return bytes;
}

export interface DecodedWav {
  sampleRate: number;
  channels: number;
  /** Mono mix, -1..1. */
  samples: Float32Array;
  info: Record<string, string>;
}

/** Reads a 16-bit PCM WAV (any rate, any channel count); returns undefined for anything else. */
export function decodeWav(bytes: Uint8Array): DecodedWav | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = (offset: number): string => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (id(0) !== "RIFF" || id(8) !== "WAVE") return undefined;
  let format: { channels: number; sampleRate: number; bits: number; audioFormat: number } | undefined;
  let data: Uint8Array | undefined;
  const info: Record<string, string> = {};
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const chunkId = id(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    const end = Math.min(bytes.length, body + size);
    if (chunkId === "fmt " && size >= 16) {
      format = {
        audioFormat: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (chunkId === "data") {
      data = bytes.subarray(body, end);
    } else if (chunkId === "LIST" && id(body) === "INFO") {
      let sub = body + 4;
      while (sub + 8 <= end) {
        const subSize = view.getUint32(sub + 4, true);
        info[id(sub)] = new TextDecoder().decode(bytes.subarray(sub + 8, Math.min(end, sub + 8 + subSize))).replace(/\0+$/, "");
        sub += 8 + subSize + (subSize % 2);
      }
    }
    offset = body + size + (size % 2);
  }
  if (!format || !data || format.audioFormat !== 1 || format.bits !== 16 || format.channels < 1 || format.sampleRate < 1) {
    return undefined;
  }
  const frames = Math.floor(data.length / (2 * format.channels));
  const samples = new Float32Array(frames);
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < format.channels; channel++) {
      sum += dataView.getInt16((frame * format.channels + channel) * 2, true);
    }
    samples[frame] = sum / format.channels / 32768;
  }
  return { sampleRate: format.sampleRate, channels: format.channels, samples, info };
}
