-- Reviews: each incident's review state, and the audit log of analysts' actions.
ALTER TABLE incidents ADD COLUMN review_status TEXT NOT NULL DEFAULT 'auto';
ALTER TABLE incidents ADD COLUMN reviewed_by TEXT;
ALTER TABLE incidents ADD COLUMN reviewed_at TEXT;
CREATE INDEX incidents_review ON incidents(review_status);
CREATE TABLE reviews (id INTEGER PRIMARY KEY, uid TEXT NOT NULL, action TEXT NOT NULL,
        value TEXT, previous TEXT, by TEXT, at TEXT, note TEXT, undone_by TEXT, undone_at TEXT);
CREATE INDEX reviews_uid ON reviews(uid);
