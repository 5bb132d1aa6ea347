-- Creations: the files made by succeeded generation jobs, their visibility (draft / published) and share links.
-- The bytes live in the content-addressed file store (by sha256), not in the database.

CREATE TABLE creations (
  id                text PRIMARY KEY,
  account_id        text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  -- The job that made it (one job may make several creations).
  job_id            text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('text', 'image', 'voice', 'video')),
  -- Derived from the prompt, at most 80 characters.
  title             text NOT NULL,
  prompt            text NOT NULL,
  -- Agents used and creations forked from, in order.
  agent_ids         text[] NOT NULL DEFAULT '{}',
  source_ids        text[] NOT NULL DEFAULT '{}',
  sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- Sniffed from the bytes, never taken from the provider.
  media_type        text NOT NULL,
  size_bytes        bigint NOT NULL CHECK (size_bytes >= 0),
  filename          text NOT NULL,
  width             integer,
  height            integer,
  duration_s        double precision,
  thumbnail_sha256  text CHECK (thumbnail_sha256 IS NULL OR thumbnail_sha256 ~ '^[0-9a-f]{64}$'),
  -- Set when the file is not AI output (the local procedural generator's placeholders).
  generator_notice  text,
  state             text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
  published_at      timestamptz,
  -- An unlisted link: s_ + 32 random characters; NULL when not shared (revoking clears it at once).
  share_token       text UNIQUE,
  share_created_at  timestamptz,
  created_at        timestamptz NOT NULL,
  CHECK ((state = 'published') = (published_at IS NOT NULL)),
  CHECK ((share_token IS NULL) = (share_created_at IS NULL))
);

-- An author's creations, newest first, all or by state or kind, with a (created_at, id) cursor.
CREATE INDEX creations_account_created ON creations (account_id, created_at DESC, id DESC);
CREATE INDEX creations_account_state_created ON creations (account_id, state, created_at DESC, id DESC);
CREATE INDEX creations_account_kind_created ON creations (account_id, kind, created_at DESC, id DESC);
-- Every published creation, newest first (the wall).
CREATE INDEX creations_published ON creations (published_at DESC, id DESC) WHERE state = 'published';
-- The creations of a job.
CREATE INDEX creations_job ON creations (job_id);
