//! Organizations: saved after sign-in, updated on a second sign-in, removed without losing users.

use crate::support::{TENANT, changes, contoso, entra_user, fresh, run};
use aadsync_store::{CloudKind, StoreError};

/// A fresh database with Contoso saved.
fn with_contoso() -> (crate::support::Db, aadsync_store::OrgId) {
    let db = fresh();
    let id = db
        .store
        .writer()
        .save_organization(&contoso())
        .expect("save");
    (db, id)
}

#[test]
fn saved_updated_listed_and_removed_keeping_imported_users() {
    let (db, id) = with_contoso();
    let org = db.store.reader().organization(id).expect("read");
    assert_eq!(org.tenant_id, TENANT, "tenant IDs are stored lower-case");
    assert_eq!(org.client_id, "2f5e7c1a-9b3d-4e8f-a6c2-1d4b8e9f0a37");
    assert_eq!(org.admin_upn.as_deref(), Some("admin@contoso.com"));
    assert!(!org.demo && org.last_sync_at.is_none());

    // A second sign-in (another admin, a renamed tenant) updates the same organization.
    let mut again = contoso();
    again.display_name = "Contoso Ltd".into();
    again.admin_upn = "it@contoso.com".into();
    let same = db
        .store
        .writer()
        .save_organization(&again)
        .expect("save again");
    assert_eq!(same, id);
    let mut fabrikam = contoso();
    fabrikam.tenant_id = "11111111-2222-4333-8444-555555555555".into();
    fabrikam.display_name = "Fabrikam".into();
    fabrikam.cloud = CloudKind::UsGovernment;
    db.store
        .writer()
        .save_organization(&fabrikam)
        .expect("second org");
    let names: Vec<String> = db
        .store
        .reader()
        .organizations()
        .expect("list")
        .into_iter()
        .map(|o| {
            format!(
                "{} {:?} {}",
                o.display_name,
                o.cloud,
                o.admin_upn.unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "Contoso Ltd Global it@contoso.com",
            "Fabrikam UsGovernment admin@contoso.com"
        ]
    );

    // Users imported from the organization survive its removal, and so does the audit log.
    db.store
        .writer()
        .apply_directory_changes(
            &run(),
            &changes(
                vec![entra_user("o-1", "ann@contoso.com", "Ann Lee")],
                vec![],
            ),
        )
        .expect("import");
    let removed = db.store.writer().remove_organization(id).expect("remove");
    assert_eq!(
        removed.admin_object_id.as_deref(),
        Some("0f0e0d0c-0000-4000-8000-000000000002")
    );
    assert_eq!(db.store.reader().count_users().expect("count"), 1);
    let runs: i64 = db
        .store
        .writer()
        .connection()
        .query_row("SELECT count(*) FROM sync_runs", [], |r| r.get(0))
        .expect("runs");
    assert_eq!(runs, 1);
    assert!(matches!(
        db.store.writer().remove_organization(id),
        Err(StoreError::OrganizationNotFound(n)) if n == id.0
    ));
    assert!(matches!(
        db.store.reader().organization(id),
        Err(StoreError::OrganizationNotFound(n)) if n == id.0
    ));
}

#[test]
fn no_token_like_column_exists() {
    let db = fresh();
    let writer = db.store.writer();
    let mut stmt = writer
        .connection()
        .prepare("SELECT name FROM pragma_table_info('organizations')")
        .expect("pragma");
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("columns");
    assert!(columns.contains(&"demo".to_owned()), "{columns:?}");
    assert!(
        !columns
            .iter()
            .any(|c| c.contains("token") || c.contains("secret")),
        "{columns:?}"
    );
}

#[test]
fn delta_links_advance_only_with_a_run_where_nothing_failed() {
    let (db, id) = with_contoso();
    assert_eq!(db.store.reader().delta_links(TENANT).expect("links"), None);
    let links = |users: &str| aadsync_store::DeltaLinks {
        users: users.into(),
        groups: "/groups/delta?$deltatoken=g".into(),
        taken_at: 1_790_000_000,
    };
    let mut ok = changes(
        vec![entra_user("o-1", "ann@contoso.com", "Ann Lee")],
        vec![],
    );
    ok.delta = Some(links("/users/delta?$deltatoken=1"));
    db.store
        .writer()
        .apply_directory_changes(&run(), &ok)
        .expect("apply");
    assert_eq!(
        db.store.reader().delta_links(TENANT).expect("links"),
        Some(links("/users/delta?$deltatoken=1"))
    );
    let org = db.store.reader().organization(id).expect("org");
    assert_eq!(org.delta_taken_at.as_deref(), Some("2026-09-21T14:13:20Z"));

    // A user whose account name another user holds fails: the links stay where they were, so
    // the next sync reads that user again.
    let mut failing = changes(
        vec![entra_user("o-2", "ann@contoso.com", "Another Ann")],
        vec![],
    );
    failing.delta = Some(links("/users/delta?$deltatoken=2"));
    let report = db
        .store
        .writer()
        .apply_directory_changes(&run(), &failing)
        .expect("apply");
    assert_eq!(report.counts.failed, 1);
    assert_eq!(
        db.store.reader().delta_links(TENANT).expect("links"),
        Some(links("/users/delta?$deltatoken=1"))
    );
}

#[test]
fn the_deletion_safeguard_is_per_organization_and_validated() {
    let (db, id) = with_contoso();
    let org = db.store.reader().organization(id).expect("org");
    assert_eq!((org.threshold_count, org.threshold_percent), (10, 10));
    db.store
        .writer()
        .set_deletion_threshold(id, 50, 20)
        .expect("set");
    // A second sign-in keeps what the administrator set.
    db.store
        .writer()
        .save_organization(&contoso())
        .expect("again");
    let org = db.store.reader().organization(id).expect("org");
    assert_eq!((org.threshold_count, org.threshold_percent), (50, 20));
    for (count, percent) in [(5, 101), (aadsync_store::MAX_THRESHOLD_COUNT + 1, 10)] {
        let expected = format!(
            "the deletion safeguard takes a count from 0 to 1,000,000 and a percentage from 0 to 100 (not {count} and {percent})"
        );
        let refused = db.store.writer().set_deletion_threshold(id, count, percent);
        assert!(
            matches!(&refused, Err(StoreError::Invalid(m)) if *m == expected),
            "{refused:?}"
        );
    }
    // Refused values changed nothing.
    let org = db.store.reader().organization(id).expect("org");
    assert_eq!((org.threshold_count, org.threshold_percent), (50, 20));
    assert!(matches!(
        db.store
            .writer()
            .set_deletion_threshold(aadsync_store::OrgId(id.0 + 1), 1, 1),
        Err(StoreError::OrganizationNotFound(n)) if n == id.0 + 1
    ));
}

/// Issue 14, item 3: an organization is (authority, tenant). A save for a stored tenant
/// through another authority or Graph root is refused and leaves the row as it was; the same
/// authority spelled with another case or a trailing slash, and the demo on another port, are
/// the same organization.
#[test]
fn a_stored_tenant_is_saved_again_only_through_its_own_authority() {
    type Change = fn(&mut aadsync_store::NewOrganization);
    let cases: [(&str, Change, bool); 8] = [
        (
            "same authority, new admin",
            |o| o.admin_upn = "it@contoso.com".into(),
            true,
        ),
        (
            "authority in capitals with a slash",
            |o| o.authority_url = "HTTPS://LOGIN.microsoftonline.com/".into(),
            true,
        ),
        (
            "another cloud's name, same URLs",
            |o| o.cloud = CloudKind::UsGovernment,
            true,
        ),
        (
            "another authority host",
            |o| o.authority_url = "https://login.evil.example".into(),
            false,
        ),
        (
            "a local authority",
            |o| o.authority_url = "http://127.0.0.1:4000".into(),
            false,
        ),
        (
            "same authority, another Graph root",
            |o| o.graph_url = "https://graph.evil.example".into(),
            false,
        ),
        ("the offline demo claiming it", |o| o.demo = true, false),
        (
            "another client ID",
            |o| o.client_id = "00000000-0000-4000-8000-0000000000aa".into(),
            true,
        ),
    ];
    for (case, change, accepted) in cases {
        let (db, id) = with_contoso();
        let before = db.store.reader().organization(id).expect("read");
        let mut offered = contoso();
        change(&mut offered);
        let checked = db.store.reader().check_authority(&offered);
        let saved = db.store.writer().save_organization(&offered);
        let after = db.store.reader().organization(id).expect("read");
        if accepted {
            assert!(checked.is_ok(), "{case}: {checked:?}");
            assert_eq!(saved.expect(case), id, "{case}");
        } else {
            for refusal in [checked.expect_err(case), saved.expect_err(case)] {
                assert!(
                    matches!(&refusal, StoreError::AnotherAuthority { tenant, .. } if tenant == TENANT),
                    "{case}: {refusal:?}"
                );
                assert!(
                    refusal.to_string().contains("login.microsoftonline.com"),
                    "{case}: {refusal}"
                );
            }
            assert_eq!(
                after, before,
                "{case}: the stored organization is unchanged"
            );
        }
    }

    // The demo's emulator listens on another port at every start: still the same organization.
    let db = fresh();
    let mut demo = contoso();
    (demo.demo, demo.cloud) = (true, CloudKind::Custom);
    demo.authority_url = "http://127.0.0.1:40001".into();
    demo.graph_url = demo.authority_url.clone();
    let id = db.store.writer().save_organization(&demo).expect("demo");
    demo.authority_url = "http://127.0.0.1:40002".into();
    demo.graph_url = demo.authority_url.clone();
    assert_eq!(
        db.store
            .writer()
            .save_organization(&demo)
            .expect("demo again"),
        id
    );
    let mut real = contoso();
    real.tenant_id = demo.tenant_id.clone();
    assert!(matches!(
        db.store.writer().save_organization(&real),
        Err(StoreError::AnotherAuthority { .. })
    ));
}
