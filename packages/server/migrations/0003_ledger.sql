-- Token balances and the append-only ledger that explains every change to them.

CREATE TABLE token_balances (
  account_id  text PRIMARY KEY REFERENCES accounts (id),
  -- May go below zero only through a refund or dispute clawback (spending then stops until a top-up).
  available   integer NOT NULL,
  held        integer NOT NULL CHECK (held >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
  id               text PRIMARY KEY,
  account_id       text NOT NULL REFERENCES accounts (id),
  kind             text NOT NULL CHECK (kind IN
                     ('starter_grant', 'purchase', 'hold', 'capture', 'release', 'refund', 'clawback', 'adjustment')),
  -- Change to available (negative when tokens leave it) and to held.
  amount           integer NOT NULL,
  held_change      integer NOT NULL,
  available_after  integer NOT NULL,
  held_after       integer NOT NULL,
  -- One per event (job:<id>:hold, job:<id>:settle, stripe:checkout:<session>, …): nothing counts twice.
  reference        text NOT NULL UNIQUE,
  job_id           text,
  description      text NOT NULL,
  created_at       timestamptz NOT NULL
);

-- An account's history, newest first, with a (created_at, id) cursor.
CREATE INDEX ledger_entries_account_created ON ledger_entries (account_id, created_at DESC, id DESC);

-- Append-only: an entry, once written, is never changed or removed.
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER ledger_entries_append_only
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

-- Accounts made before this migration start with an empty balance.
INSERT INTO token_balances (account_id, available, held)
SELECT id, 0, 0 FROM accounts
ON CONFLICT (account_id) DO NOTHING;

-- Token packs bought through Stripe Checkout, one row per Checkout Session.
CREATE TABLE purchases (
  session_id       text PRIMARY KEY,
  account_id       text NOT NULL REFERENCES accounts (id),
  pack_id          text NOT NULL,
  tokens           integer NOT NULL CHECK (tokens > 0),
  -- The pack's price when it was bought, in the currency's minor unit.
  amount           integer NOT NULL CHECK (amount >= 0),
  currency         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('open', 'paid', 'credited', 'expired', 'refunded')),
  -- Known once the session is completed; refunds and disputes name the payment, not the session.
  payment_intent   text UNIQUE,
  -- Tokens taken back so far (posted to the ledger) for refunds and for a dispute.
  tokens_refunded  integer NOT NULL DEFAULT 0 CHECK (tokens_refunded >= 0),
  tokens_disputed  integer NOT NULL DEFAULT 0 CHECK (tokens_disputed >= 0),
  credited_at      timestamptz,
  expires_at       timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);

CREATE INDEX purchases_account_created ON purchases (account_id, created_at DESC);

-- Every Stripe event applied (or knowingly ignored), so a redelivery changes nothing.
CREATE TABLE stripe_events (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  outcome      text NOT NULL,
  received_at  timestamptz NOT NULL
);

-- What Stripe said about a payment's charge: kept even before its session is known, because
-- events arrive in any order. Refunds are cumulative (the largest amount seen wins).
CREATE TABLE stripe_payments (
  payment_intent   text PRIMARY KEY,
  charge_id        text,
  amount           integer,
  amount_refunded  integer NOT NULL DEFAULT 0,
  dispute_id       text,
  -- withdrawn: the disputed funds left us; reinstated: they came back (won); lost: final loss.
  dispute_state    text CHECK (dispute_state IN ('withdrawn', 'reinstated', 'lost')),
  dispute_amount   integer NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL
);
