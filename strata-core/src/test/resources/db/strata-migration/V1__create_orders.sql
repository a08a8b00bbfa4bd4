CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    customer TEXT NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
