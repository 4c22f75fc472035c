-- The offline demo tenant runs inside the app on a port chosen at start-up, so its URLs are
-- not stored: a demo organization is resolved to the embedded emulator each time it is used.
ALTER TABLE organizations ADD COLUMN demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1));
