ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
CREATE INDEX orders_status_idx ON orders (status);
INSERT INTO orders (customer, amount_cents) VALUES ('ada', 4200), ('grace', 1337);
