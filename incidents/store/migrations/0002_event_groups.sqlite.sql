-- Event groups: a stable uid per incident (unique; filled by the step's data part, unique_uid)
-- and its event group (indexed; filled by the regrouping that follows every migration).
ALTER TABLE incidents ADD COLUMN uid TEXT;
ALTER TABLE incidents ADD COLUMN event_group TEXT;
CREATE UNIQUE INDEX incidents_uid ON incidents(uid);
CREATE INDEX incidents_event_group ON incidents(event_group);
