-- The deletion safeguard per organization: a sync that would disable or delete more than
-- `count` objects and more than `percent` % of the organization's imported objects stops and
-- asks for an explicit confirmation. 10 and 10 unless the administrator changes them.
ALTER TABLE organizations ADD COLUMN deletion_threshold_count INTEGER NOT NULL DEFAULT 10
    CHECK (deletion_threshold_count BETWEEN 0 AND 1000000);
ALTER TABLE organizations ADD COLUMN deletion_threshold_percent INTEGER NOT NULL DEFAULT 10
    CHECK (deletion_threshold_percent BETWEEN 0 AND 100);
