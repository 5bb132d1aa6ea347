-- Agents (golden post-its), the generation jobs that run them, and server-wide secrets.

CREATE TABLE agents (
  id                  text PRIMARY KEY,
  account_id          text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name                text NOT NULL,
  description         text NOT NULL DEFAULT '',
  kind                text NOT NULL CHECK (kind IN ('text', 'image', 'voice', 'video')),
  -- {"type":"local"} or {"type":"runpod","endpoint_id":"…","model":"…"}
  provider            jsonb NOT NULL,
  prompt_template     text NOT NULL,
  default_parameters  jsonb NOT NULL DEFAULT '{}'::jsonb,
  color               text NOT NULL,
  cost_tokens         integer NOT NULL CHECK (cost_tokens >= 0),
  archived_at         timestamptz,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);

-- An account's agents, newest first, with a (created_at, id) cursor.
CREATE INDEX agents_account_created ON agents (account_id, created_at DESC, id DESC);
-- Every active agent, newest first (the public listing).
CREATE INDEX agents_active_created ON agents (created_at DESC, id DESC) WHERE archived_at IS NULL;

CREATE TABLE generation_jobs (
  id               text PRIMARY KEY,
  account_id       text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  agent_id         text NOT NULL REFERENCES agents (id),
  -- What the agent was when the job was made: the job runs (and shows) this, even after an edit.
  agent_name       text NOT NULL,
  agent_kind       text NOT NULL CHECK (agent_kind IN ('text', 'image', 'voice', 'video')),
  agent_color      text NOT NULL,
  agent_provider   jsonb NOT NULL,
  prompt_template  text NOT NULL,
  -- The user's prompt, the template's other variables, and the template filled with both.
  prompt           text NOT NULL,
  variables        jsonb NOT NULL DEFAULT '{}'::jsonb,
  rendered_prompt  text NOT NULL,
  -- Effective parameters: the agent's defaults merged with the request's.
  parameters       jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Input creations (a fork), in order: [{"id","kind","sha256","media_type"}].
  inputs           jsonb NOT NULL DEFAULT '[]'::jsonb,
  provider         text NOT NULL CHECK (provider IN ('local', 'runpod')),
  status           text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out')),
  progress         double precision CHECK (progress IS NULL OR (progress >= 0 AND progress <= 1)),
  error_code       text,
  error_message    text,
  -- Tokens: the price when created, held now (0 once ended), and taken on success.
  quoted           integer NOT NULL CHECK (quoted >= 0),
  held             integer NOT NULL CHECK (held >= 0),
  charged          integer NOT NULL DEFAULT 0 CHECK (charged >= 0),
  -- The provider's id for the current attempt (local_job_… or <endpoint>:<runpod id>).
  external_id      text,
  -- How many times the job was handed to its provider.
  attempts         integer NOT NULL DEFAULT 0,
  creation_id      text,
  -- Which server process runs the job, and until when (several processes can share one PostgreSQL).
  lease_owner      text,
  lease_until      timestamptz,
  created_at       timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz,
  deadline_at      timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);

-- An account's jobs, newest first, all or by status.
CREATE INDEX generation_jobs_account_created ON generation_jobs (account_id, created_at DESC, id DESC);
CREATE INDEX generation_jobs_account_status ON generation_jobs (account_id, status, created_at DESC, id DESC);
-- The unfinished jobs (resume on start, the sweeper).
CREATE INDEX generation_jobs_unfinished ON generation_jobs (deadline_at) WHERE status IN ('queued', 'running');

-- Secrets the server makes for itself on first start (e.g. the key of RunPod webhook tokens), shared by
-- every process on the database so a webhook URL made by one is accepted by another.
CREATE TABLE server_secrets (
  name        text PRIMARY KEY,
  value       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
