-- The W3C trace context of a label request (its Kafka headers), kept with its task and passed on with
-- the labels that answer it (the outbox row becomes the label record's headers). Null: none.
ALTER TABLE tasks ADD COLUMN traceparent VARCHAR(512);
ALTER TABLE tasks ADD COLUMN tracestate VARCHAR(512);
ALTER TABLE outbox ADD COLUMN traceparent VARCHAR(512);
ALTER TABLE outbox ADD COLUMN tracestate VARCHAR(512);
