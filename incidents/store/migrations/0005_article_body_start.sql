-- Both backends. Where the article's body begins, as it was read when it came in (so that
-- `reprocess` re-reads exactly that); filled for the stored articles by the step's data part.
ALTER TABLE articles ADD COLUMN body_start INTEGER;
