-- A reader's reply edited or deleted takes back the support it gave: its supporter rows are
-- found by the reply's message id, which only replies (and the message menu) record.
CREATE INDEX supporters_by_message ON suggestion_supporters(message_id)
    WHERE message_id IS NOT NULL;
