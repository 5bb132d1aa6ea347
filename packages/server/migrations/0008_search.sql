-- Full-text search over accounts (handle, display name) and creations (title, prompt).
-- The vectors are generated columns, so they can never drift from the text they index. Names use the 'simple'
-- configuration (no stemming, no stop words: a handle is not English); creations use 'english', so "storms"
-- finds "storm". Only published creations are ever searched (filtered at query time), hence the partial index.

ALTER TABLE accounts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple'::regconfig, handle), 'A') ||
  setweight(to_tsvector('simple'::regconfig, display_name), 'A')
) STORED;
CREATE INDEX accounts_search ON accounts USING gin (search_vector);

ALTER TABLE creations ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english'::regconfig, title), 'A') ||
  setweight(to_tsvector('english'::regconfig, prompt), 'B')
) STORED;
CREATE INDEX creations_search ON creations USING gin (search_vector) WHERE state = 'published';
