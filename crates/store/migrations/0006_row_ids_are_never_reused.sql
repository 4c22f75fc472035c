-- A row id names one user, group or organization forever. An undo finds the rows its run
-- wrote by their keys (ARCHITECTURE.md, "Undo"); SQLite gives a new row max(id) + 1, which
-- hands the id of a deleted newest row to the next one — a user created after another was
-- deleted would then be taken for it, and an undo could delete or overwrite it. New rows take
-- the next id above both the ids in use and the largest ever deleted, which is kept here.
CREATE TABLE row_id_high_water (
    table_name TEXT PRIMARY KEY CHECK (table_name IN ('users', 'groups', 'organizations')),
    -- The largest id a deleted row of the table had (at least the largest at this migration).
    high       INTEGER NOT NULL
) STRICT;

INSERT INTO row_id_high_water (table_name, high) VALUES
    ('users', coalesce((SELECT max(id) FROM users), 0)),
    ('groups', coalesce((SELECT max(id) FROM groups), 0)),
    ('organizations', coalesce((SELECT max(id) FROM organizations), 0));

CREATE TRIGGER users_ids_are_never_reused
AFTER DELETE ON users
WHEN OLD.id > (SELECT high FROM row_id_high_water WHERE table_name = 'users')
BEGIN
    UPDATE row_id_high_water SET high = OLD.id WHERE table_name = 'users';
END;

CREATE TRIGGER groups_ids_are_never_reused
AFTER DELETE ON groups
WHEN OLD.id > (SELECT high FROM row_id_high_water WHERE table_name = 'groups')
BEGIN
    UPDATE row_id_high_water SET high = OLD.id WHERE table_name = 'groups';
END;

CREATE TRIGGER organizations_ids_are_never_reused
AFTER DELETE ON organizations
WHEN OLD.id > (SELECT high FROM row_id_high_water WHERE table_name = 'organizations')
BEGIN
    UPDATE row_id_high_water SET high = OLD.id WHERE table_name = 'organizations';
END;
