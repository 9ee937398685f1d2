-- SQLite's first schema: articles, their incidents, and the places they name.
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, id TEXT NOT NULL, title TEXT, date TEXT, source TEXT, url TEXT,
    language TEXT, path TEXT, text TEXT, origin TEXT, ingested_at REAL, warnings TEXT);
CREATE TABLE IF NOT EXISTS incidents (
    rowid INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key) ON DELETE CASCADE,
    grp TEXT, date TEXT, time_precision INTEGER, event_type TEXT, sub_event_type TEXT,
    actor1 TEXT, actor2 TEXT, actors TEXT, fatalities INTEGER,
    place_id TEXT, place_text TEXT, name_ar TEXT, name_en TEXT, feature TEXT, lat REAL, lon REAL,
    admin1 TEXT, admin1_ar TEXT, admin1_pcode TEXT, admin2 TEXT, admin2_ar TEXT,
    precision INTEGER, confidence REAL, radius_km REAL, location TEXT,
    passage TEXT, passage_start INTEGER, passage_end INTEGER, place_start INTEGER, place_end INTEGER,
    evidence TEXT, source_kind TEXT, external_id TEXT);
CREATE INDEX IF NOT EXISTS incidents_date ON incidents(date);
CREATE INDEX IF NOT EXISTS incidents_admin ON incidents(admin1, admin2);
CREATE INDEX IF NOT EXISTS incidents_article ON incidents(article_key);
CREATE TABLE IF NOT EXISTS places (
    id TEXT PRIMARY KEY, name_ar TEXT, name_en TEXT, feature TEXT, lat REAL, lon REAL,
    admin1 TEXT, admin2 TEXT);
