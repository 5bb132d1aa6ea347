/** What a query can run on: the database itself, or an open transaction. */
export interface Queryable {
  /** One statement with $1… parameters; answers the rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: "pglite" | "postgres";
  /**
   * Runs fn inside BEGIN … COMMIT (ROLLBACK when it throws). Inside fn use only `tx`:
   * on PGlite, which has a single connection, a query on the Db itself waits for the transaction.
   */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}
