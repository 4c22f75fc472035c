//! The first cases: undoing a run reverts exactly its own writes (every table but the
//! append-only audit log and decisions back to the moment before it when nothing changed
//! since), later changes are conflicts that are kept unless the administrator restores them,
//! and a preview the database no longer matches is refused.

use super::{describe, undo, user_id, without_log};
use crate::support::*;
use aadsync_store::{Problem, Resolution, StoreError, UndoChoices};

/// Contoso, the local user carl, then a sync of ann and bob with the group Sales.
pub fn synced() -> (Db, i64, Dump) {
    let db = contoso_with_carl();
    let before = dump(db.store.writer().connection());
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![
                    entra_user("o-ann", "ann@contoso.com", "Ann Lee"),
                    entra_user("o-bob", "bob@contoso.com", "Bob Ray"),
                ],
                vec![entra_group("g-1", "Sales", &["o-ann", "o-bob"])],
            ),
        )
        .expect("sync");
    (db, report.run_id, before)
}

#[test]
fn undoing_the_last_run_puts_every_table_back_and_keeps_the_audit_log() {
    let (db, run_id, before) = synced();
    let log_before = dump(db.store.writer().connection());
    let plan = db.store.writer().undo_preview(run_id).expect("preview");
    assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
    assert!(plan.changes > 0);
    let outcome = undo(&db, run_id, &UndoChoices::default()).expect("undo");
    let after = dump(db.store.writer().connection());
    assert_same(
        &without_log(after.clone()),
        &without_log(before),
        "after the undo",
    );
    for table in [
        "sync_run_items",
        "sync_run_changes",
        "sync_run_change_parts",
    ] {
        let kept: Vec<&String> = log_before[table].iter().collect();
        assert!(
            kept.iter().all(|row| after[table].contains(row)),
            "{table}: every earlier row is still there"
        );
    }
    let runs = db.store.reader().runs().expect("runs");
    assert_eq!(runs[0].id, outcome.undo_run);
    assert_eq!(runs[0].undoes_run, Some(run_id));
    assert_eq!(runs[1].status, aadsync_store::RunStatus::Undone);
    // Undone once: a second undo is refused and writes nothing.
    let again = db.store.writer().undo_preview(run_id);
    assert!(matches!(again, Err(StoreError::Invalid(m)) if m.contains("undone already")));
}

#[test]
fn a_later_edit_is_a_conflict_kept_unless_restored() {
    for (resolution, ann_stays) in [(Resolution::KeepNewer, true), (Resolution::Restore, false)] {
        let (db, run_id, _) = synced();
        describe(&db, "carl", "Works remotely");
        // A later sync renames ann: the undo of the first run meets it.
        db.store
            .writer()
            .apply_directory_changes(
                &run(),
                &changes(
                    vec![entra_user("o-ann", "ann@contoso.com", "Ann Smith")],
                    vec![],
                ),
            )
            .expect("second sync");
        let plan = db.store.writer().undo_preview(run_id).expect("preview");
        let conflicts: Vec<(&str, &str, &Problem)> = plan
            .conflicts
            .iter()
            .map(|c| (c.object_type, c.object.as_str(), &c.problem))
            .collect();
        assert_eq!(
            conflicts,
            [("user", "ann@contoso.com", &Problem::ChangedSince)],
            "{resolution:?}"
        );
        let fields: Vec<(&str, &str)> = plan.conflicts[0]
            .fields
            .iter()
            .map(|f| (f.field.as_str(), f.now.as_str()))
            .collect();
        assert!(fields.contains(&("full name", "Ann Smith")), "{fields:?}");
        let choices = UndoChoices {
            all: resolution,
            ..UndoChoices::default()
        };
        undo(&db, run_id, &choices).expect("undo");
        let names: Vec<String> = db
            .store
            .reader()
            .user_rows()
            .expect("rows")
            .into_iter()
            .map(|r| r.account_name)
            .collect();
        assert_eq!(
            names.contains(&"ann@contoso.com".to_owned()),
            ann_stays,
            "{names:?}"
        );
        assert!(!names.contains(&"bob@contoso.com".to_owned()), "{names:?}");
        // carl's later edit is no part of the run: it stays either way.
        let carl = user_id(&db, "carl");
        let carl = db.store.reader().user(carl).expect("carl");
        assert_eq!(carl.description, "Works remotely");
    }
}

#[test]
fn a_stale_preview_is_refused_and_writes_nothing() {
    let (db, run_id, _) = synced();
    let plan = db.store.writer().undo_preview(run_id).expect("preview");
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-bob", "bob@contoso.com", "Bob Ray Jr")],
                vec![],
            ),
        )
        .expect("a sync in between");
    let before = dump(db.store.writer().connection());
    let refused = db.store.writer().undo_run(
        run_id,
        &plan.token,
        &UndoChoices::default(),
        "admin@contoso.com",
        &|| false,
    );
    assert!(matches!(refused, Err(StoreError::Stale(_))), "{refused:?}");
    assert_same(
        &dump(db.store.writer().connection()),
        &before,
        "after the refusal",
    );
}
/// A user kept with its newer values keeps why it is in scope too; the one the undo removes
/// takes its scope rows with it.
#[test]
fn a_kept_user_stays_in_scope_and_a_removed_one_leaves_it() {
    use aadsync_store::{ObjectKind, Reason, ScopeRoot};
    let db = contoso_with_carl();
    let scoped = |users: Vec<aadsync_store::DirectoryUser>| {
        let mut c = changes(users.clone(), vec![]);
        c.roots = users
            .iter()
            .map(|u| ScopeRoot {
                kind: ObjectKind::User,
                object_id: u.object_id.clone(),
                members: false,
                nested: false,
            })
            .collect();
        c.scope = Some(
            users
                .iter()
                .map(|u| {
                    let reason = Reason {
                        root_id: u.object_id.clone(),
                        path: String::new(),
                    };
                    (u.object_id.clone(), vec![reason])
                })
                .collect(),
        );
        c
    };
    let ann = entra_user("o-ann", "ann@contoso.com", "Ann Lee");
    let bob = entra_user("o-bob", "bob@contoso.com", "Bob Ray");
    let first = db
        .store
        .writer()
        .apply_directory_changes(&run(), &scoped(vec![ann.clone(), bob.clone()]))
        .expect("first")
        .run_id;
    let renamed = entra_user("o-ann", "ann@contoso.com", "Ann Smith");
    db.store
        .writer()
        .apply_directory_changes(&run(), &changes(vec![renamed], vec![]))
        .expect("second");
    undo(&db, first, &UndoChoices::default()).expect("undo");
    let in_scope = |table: &str| -> Vec<String> {
        dump(db.store.writer().connection())[table]
            .iter()
            .filter(|row| row.contains("o-ann") || row.contains("o-bob"))
            .cloned()
            .collect()
    };
    for table in ["azure_scope_roots", "azure_scope_reasons"] {
        let rows = in_scope(table);
        assert!(
            rows.iter().all(|r| r.contains("o-ann")),
            "{table}: {rows:?}"
        );
        assert!(!rows.is_empty(), "{table}: ann, kept, is still in scope");
    }
}

/// A first import whose changeset fills more than one stored part (4 MiB each): the parts read
/// back as one changeset, and the undo puts every table back.
#[test]
fn a_run_whose_changeset_fills_several_parts_is_undone_exactly() {
    let db = contoso_with_carl();
    let before = dump(db.store.writer().connection());
    let users: Vec<_> = (0..10_000)
        .map(|i| {
            entra_user(
                &format!("o-{i:05}"),
                &format!("user{i:05}@contoso.com"),
                &format!("User{i:05} Lee"),
            )
        })
        .collect();
    let ids: Vec<String> = users.iter().map(|u| u.object_id.clone()).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let report = db
        .store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(users, vec![entra_group("g-1", "All", &ids)]),
        )
        .expect("sync");
    let parts: i64 = db
        .store
        .writer()
        .connection()
        .query_row(
            "SELECT count(*) FROM sync_run_change_parts WHERE run_id = ?1",
            [report.run_id],
            |r| r.get(0),
        )
        .expect("parts");
    assert!(parts >= 2, "{parts} part(s)");
    undo(&db, report.run_id, &UndoChoices::default()).expect("undo");
    assert_same(
        &without_log(dump(db.store.writer().connection())),
        &without_log(before),
        "after the undo",
    );
}
