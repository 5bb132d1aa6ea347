/** One page of a list operation. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * Yields every item of a cursor-paginated list, fetching the next page only when the previous
 * one is used up; stops when `next_cursor` is null.
 *
 * @example for await (const key of paginate((cursor) => oto.apiKeys.list({ cursor }))) console.log(key.id);
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.data;
    if (page.next_cursor === null || page.next_cursor === undefined) return;
    if (page.next_cursor === cursor) {
      throw new Error(`pagination stopped: the server returned the same cursor twice (${cursor})`);
    }
    cursor = page.next_cursor;
  }
}
