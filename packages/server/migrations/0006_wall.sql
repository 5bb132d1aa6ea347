-- The wall: every account's home, the post-its pinned on it (creations and golden agents), the strings between
-- them, and a change log that keeps every server process's in-memory spatial index in step with the database.

-- Homes are handed out in sign-up order along a square spiral from the centre (see wall/placement/spiral.ts);
-- a sequence makes two sign-ups at the same moment get different homes. A gap (a rolled-back sign-up) only
-- leaves one home cell empty.
CREATE SEQUENCE account_home_index AS integer MINVALUE 0 START WITH 0;
ALTER TABLE accounts ADD COLUMN home_index integer;
UPDATE accounts SET home_index = ranked.n - 1
  FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM accounts) AS ranked
  WHERE accounts.id = ranked.id;
SELECT setval('account_home_index', COALESCE((SELECT max(home_index) + 1 FROM accounts), 0), false);
ALTER TABLE accounts ALTER COLUMN home_index SET DEFAULT nextval('account_home_index');
ALTER TABLE accounts ALTER COLUMN home_index SET NOT NULL;
ALTER SEQUENCE account_home_index OWNED BY accounts.home_index;
CREATE UNIQUE INDEX accounts_home_index ON accounts (home_index);

-- One row per post-it on the wall. Positions are written once and never recomputed; unpublishing deletes the row
-- (the spot is free again). (x, y) is the post-it's centre, the centre of one slot, so the unique index makes a
-- collision between two processes placing at once impossible.
CREATE TABLE wall_postits (
  -- Compact numeric handle for the in-memory index (so it need not hold text ids).
  seq         bigserial NOT NULL UNIQUE,
  -- The creation's or agent's id.
  id          text PRIMARY KEY,
  type        text NOT NULL CHECK (type IN ('creation', 'agent')),
  account_id  text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  -- The owner's home, copied so the placement state can be rebuilt from this table alone.
  home_index  integer NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('text', 'image', 'voice', 'video')),
  x           integer NOT NULL,
  y           integer NOT NULL,
  rotation    double precision NOT NULL,
  colour      text NOT NULL,
  placed_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX wall_postits_xy ON wall_postits (x, y);
CREATE INDEX wall_postits_account ON wall_postits (account_id);

-- Strings: made_with (agent -> creation, the agent's colour) and forked_from (source creation -> fork).
-- A string is stored when its `to_id` creation is published and deleted when it is unpublished; one whose
-- `from_id` is not on the wall right now is kept but not served. Ids: made:<creation>:<agent>, fork:<creation>:<source>.
CREATE TABLE wall_strings (
  id          text PRIMARY KEY,
  type        text NOT NULL CHECK (type IN ('made_with', 'forked_from')),
  from_id     text NOT NULL,
  to_id       text NOT NULL,
  colour      text NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX wall_strings_from ON wall_strings (from_id);
CREATE INDEX wall_strings_to ON wall_strings (to_id);

-- Every change to the wall, in commit order: writers take the wall's advisory transaction lock before
-- inserting here, so a reader that applies `seq > last_seen` never skips a change that commits late.
-- op: place (a post-it was pinned), remove (unpinned), touch (its tile content changed: strings, counts).
CREATE TABLE wall_changes (
  seq        bigserial PRIMARY KEY,
  postit_id  text NOT NULL,
  op         text NOT NULL CHECK (op IN ('place', 'remove', 'touch')),
  at         timestamptz NOT NULL DEFAULT now()
);

-- Counting forks of a creation and the published creations an agent made (tile "forks" counts, the tree).
CREATE INDEX creations_source_ids ON creations USING gin (source_ids);
CREATE INDEX creations_agent_ids ON creations USING gin (agent_ids);
