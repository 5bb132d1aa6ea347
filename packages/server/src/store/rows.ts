import type { Account, ApiKey } from "@oto/sdk/schema";
import { homeCell } from "../wall/placement/index.js";

export interface AccountRow {
  id: string;
  handle: string;
  display_name: string;
  role: "user" | "admin";
  /** Position in the spiral of homes (from a sequence at sign-up). */
  home_index: number;
  created_at: Date;
}

export interface ApiKeyRow {
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d === null ? null : d.toISOString());

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    handle: row.handle,
    display_name: row.display_name,
    role: row.role,
    home: { index: row.home_index, ...homeCell(row.home_index) },
    created_at: iso(row.created_at),
  };
}

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    created_at: iso(row.created_at),
    last_used_at: isoOrNull(row.last_used_at),
    revoked_at: isoOrNull(row.revoked_at),
  };
}

export const ACCOUNT_COLUMNS = "id, handle, display_name, role, home_index, created_at";
export const API_KEY_COLUMNS = "id, account_id, name, prefix, created_at, last_used_at, revoked_at";
