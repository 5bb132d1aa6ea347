-- Accounts and their API keys.

CREATE TABLE accounts (
  id             text PRIMARY KEY,
  handle         text NOT NULL,
  -- Handles are unique regardless of case.
  handle_lower   text NOT NULL UNIQUE,
  display_name   text NOT NULL,
  role           text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  -- scrypt$N$r$p$salt$hash (base64): the parameters travel with the hash.
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  account_id    text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name          text NOT NULL,
  -- The public part of the key (oto_<prefix>_<secret>): how a presented key is looked up.
  prefix        text NOT NULL UNIQUE,
  -- sha256 of the whole key, hex. The key itself is never stored.
  secret_hash   text NOT NULL,
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- Listing an account's keys, newest first, with a (created_at, id) cursor.
CREATE INDEX api_keys_account_created ON api_keys (account_id, created_at DESC, id DESC);
