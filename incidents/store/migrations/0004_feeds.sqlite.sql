-- Following feeds: each source's state, and every URL fetched (de-duplication, conditional GET).
CREATE TABLE feeds (url TEXT PRIMARY KEY, label TEXT, kind TEXT, etag TEXT, modified TEXT,
        last_item TEXT, last_item_at REAL, last_checked REAL, last_success REAL, last_error TEXT,
        last_error_at REAL, checks INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
        items_seen INTEGER NOT NULL DEFAULT 0, articles_new INTEGER NOT NULL DEFAULT 0,
        last_new INTEGER NOT NULL DEFAULT 0);
CREATE TABLE fetched (url TEXT PRIMARY KEY, canonical TEXT, content_hash TEXT, article_key TEXT,
        feed_url TEXT, entry_updated TEXT, etag TEXT, modified TEXT, author TEXT, status TEXT,
        error TEXT, fetched_at REAL);
CREATE INDEX fetched_canonical ON fetched(canonical);
CREATE INDEX articles_id ON articles(id);
