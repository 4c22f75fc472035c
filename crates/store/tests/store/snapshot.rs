//! Snapshot and restore round trip.

use crate::support::*;
use aadsync_store::{PasswordPolicy, StoreError};

#[test]
fn restore_brings_back_exactly_the_snapshot() {
    let db = fresh();
    let policy = PasswordPolicy::default();
    db.store
        .writer()
        .create_local_user(&local("before"), &policy)
        .expect("create");
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-1", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("apply");
    let snap = db.dir.path().join("snapshots").join("before-sync.sqlite3");
    db.store.writer().snapshot_to(&snap).expect("snapshot");
    let snap_bytes = std::fs::read(&snap).expect("read");
    let again = db.store.writer().snapshot_to(&snap);
    assert!(
        matches!(&again, Err(StoreError::Snapshot { path, detail })
            if *path == snap && detail == "the file already exists; snapshots are never overwritten"),
        "never overwrite a snapshot: {again:?}"
    );
    assert_eq!(std::fs::read(&snap).expect("read"), snap_bytes);

    let before = db.store.reader().user_rows().expect("rows");
    db.store
        .writer()
        .create_local_user(&local("after"), &policy)
        .expect("create");
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(vec![entra_user("o-2", "bo@contoso.com", "Bo Ek")], vec![]),
        )
        .expect("apply");
    assert_eq!(db.store.reader().user_rows().expect("rows").len(), 4);

    db.store.writer().restore_from(&snap).expect("restore");
    assert_eq!(db.store.reader().user_rows().expect("rows"), before);
    // The restored database is fully usable, guards included.
    db.store
        .writer()
        .create_local_user(&local("later"), &policy)
        .expect("create after restore");
    let not_a_snapshot = db.dir.path().join("junk.sqlite3");
    std::fs::write(&not_a_snapshot, b"junk").expect("write");
    let refused = db.store.writer().restore_from(&not_a_snapshot);
    assert!(
        matches!(&refused, Err(StoreError::Snapshot { path, detail })
            if *path == not_a_snapshot
                && detail == "not a readable aadsync snapshot (file is not a database)"),
        "{refused:?}"
    );
    assert_eq!(
        db.store.reader().count_users().expect("count"),
        3,
        "before, ann, later"
    );
}
