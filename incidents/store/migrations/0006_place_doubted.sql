-- Version 6 (both backends): the tagger doubts the words name a place here (the location's evidence
-- holds geodata.schema.UNCERTAIN_PLACE); filled from the stored evidence by the data part.
ALTER TABLE incidents ADD COLUMN place_doubted INTEGER NOT NULL DEFAULT 0;
