-- Case writers run side by side: each logs its changes at a pending position (a
-- negative number from this sequence, unique across transactions) and turns them into
-- real positions from sync_counter as the last step before commit (sync.rs).
CREATE SEQUENCE changes_pending;

-- Each scope row carries its case's last change position, so a unit's pull reads the
-- cases changed since its cursor from one index range instead of every change in the
-- city (or every case of the unit). Tombstones get the same (unit, position) index.
ALTER TABLE case_scope ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;
UPDATE case_scope s SET last_seq = m.seq
  FROM (SELECT case_id, MAX(seq) AS seq FROM changes GROUP BY case_id) m
 WHERE m.case_id = s.case_id;
CREATE INDEX case_scope_changed ON case_scope(unit_id, last_seq);
CREATE INDEX scope_removals_unit_seq ON scope_removals(unit_id, seq);
