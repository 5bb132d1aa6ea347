-- Signed lineage records: the Ed25519 keys that sign them, and each creation's record.

-- The server's signing keys. The PRIVATE key sits in the database (as server_secrets does): anyone who can read
-- this table can sign records as this server, so guard database access and backups accordingly. Every process
-- signs with the one active key (retired_at NULL); retired keys keep only verifying old records (JWKS).
CREATE TABLE lineage_keys (
  kid          text PRIMARY KEY,
  private_jwk  text NOT NULL,
  public_jwk   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz
);
-- At most one active key: two processes making the first key at the same moment cannot both succeed.
CREATE UNIQUE INDEX lineage_keys_one_active ON lineage_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

-- The signed record as JSON text (verified over its RFC 8785 canonical form, so the text's layout does not
-- matter) and its hash, which forks copy into prev_record_hash. NULL for creations made before this migration:
-- they are signed on first read.
ALTER TABLE creations ADD COLUMN lineage_record text;
ALTER TABLE creations ADD COLUMN record_hash text CHECK (record_hash IS NULL OR record_hash ~ '^sha256:[0-9a-f]{64}$');
ALTER TABLE creations ADD CONSTRAINT creations_record_pair CHECK ((lineage_record IS NULL) = (record_hash IS NULL));
