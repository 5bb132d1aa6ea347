// Duration of a RIFF/WAVE file from its header: the data chunk's size over the format's byte rate.
// Works for any WAVE encoding that declares a byte rate (PCM, IEEE float, A-law/µ-law, ADPCM…).

export interface WavHeader {
  sampleRate: number;
  channels: number;
  byteRate: number;
  dataBytes: number;
  durationS: number;
}

/** The header of a WAVE file, or undefined when the bytes are not one (or lack a fmt or data chunk). */
export function readWavHeader(bytes: Uint8Array): WavHeader | undefined {
  if (bytes.length < 12) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (tag(0) !== "RIFF" || tag(8) !== "WAVE") return undefined;

  let format: { channels: number; sampleRate: number; byteRate: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt " && size >= 16 && body + 16 <= bytes.length) {
      format = {
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        byteRate: view.getUint32(body + 8, true),
      };
    } else if (id === "data") {
      if (!format || format.byteRate === 0) return undefined;
      // Streamed WAVs leave the size at 0 or 0xFFFFFFFF; truncated files claim more than they hold.
      const available = bytes.length - body;
      const dataBytes = size === 0 || size > available ? available : size;
      return { ...format, dataBytes, durationS: Math.round((dataBytes / format.byteRate) * 1000) / 1000 };
    }
    offset = body + size + (size % 2); // chunks are padded to an even size
  }
  return undefined;
}
