-- A replayed reply carries the first answer's Location too (createGeneration's 202 points at the job).

ALTER TABLE idempotency_keys ADD COLUMN location text;
