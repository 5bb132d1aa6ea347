// Turns whatever a user typed into the parts of a safe tsquery. websearch_to_tsquery never fails on any input
// (quotes, "or", "-word", stray operators), so the text itself is passed to it untouched; only the last word is
// extracted here, to also match it as a prefix ("lightho" finds "lighthouse") while the user is still typing.

export interface SearchText {
  /** The whole text, for websearch_to_tsquery. */
  full: string;
  /** The text without its last word, for websearch_to_tsquery (may be empty). */
  head: string;
  /** The last word (letters, marks and digits only), to match as a prefix; null when it should not be. */
  prefix: string | null;
}

// The last run of letters/marks/digits, at the very end of the text.
const LAST_WORD = /[\p{L}\p{M}\p{N}]+$/u;

export function parseSearchText(text: string): SearchText {
  // PostgreSQL text cannot hold NUL; NFC so that "e + combining accent" matches the stored "é".
  const full = text.replace(/\u0000/g, " ").normalize("NFC").trim();
  const match = LAST_WORD.exec(full);
  if (!match) return { full, head: full, prefix: null };
  const head = full.slice(0, match.index);
  const word = match[0];
  const before = head.slice(-1);
  const negated = before === "-" && /(^|\s)-$/.test(head);
  const inQuotes = (head.match(/"/g)?.length ?? 0) % 2 === 1;
  // "or" is websearch's OR operator, not a word to complete.
  if (negated || inQuotes || word.toLowerCase() === "or") return { full, head: full, prefix: null };
  return { full, head, prefix: word };
}
