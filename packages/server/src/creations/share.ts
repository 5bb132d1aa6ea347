// Share tokens and the base URL links are built on.
import { randomInt } from "node:crypto";
import type { FastifyRequest } from "fastify";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** s_ + 32 characters of [0-9A-Za-z] (about 190 bits), drawn uniformly from the system CSPRNG. */
export function newShareToken(): string {
  let token = "s_";
  for (let i = 0; i < 32; i++) token += ALPHABET[randomInt(ALPHABET.length)];
  return token;
}

/**
 * Where clients reach this server: the configured public URL, else the scheme and Host of the request
 * (behind a proxy, trustProxy makes these the forwarded ones).
 */
export function baseUrlFor(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, "");
  return `${request.protocol}://${request.host}`;
}

/** Public URL of a creation's thumbnail (getCreationThumbnail), for views that link to it. */
export function thumbnailUrl(baseUrl: string, creationId: string): string {
  return `${baseUrl}/v1/creations/${creationId}/thumbnail`;
}
