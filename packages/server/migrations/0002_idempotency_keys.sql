-- Stored replies of POST requests sent with an Idempotency-Key header.

CREATE TABLE idempotency_keys (
  -- sha256(operation id, account id or 'anon', the raw key), hex. The raw key is never stored.
  key_hash       text PRIMARY KEY,
  -- sha256 of the canonical request (path parameters, query and body), hex.
  request_hash   text NOT NULL,
  state          text NOT NULL CHECK (state IN ('in_progress', 'done')),
  status_code    integer,
  content_type   text,
  -- AES-256-GCM under a key derived from the raw idempotency key: iv | tag | ciphertext, base64.
  response_body  text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);

CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
