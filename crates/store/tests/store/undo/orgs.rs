//! Undoing a run after changes to the organizations: another one added, the safeguard
//! changed, the run's own organization removed (and another added in its place) — none of it
//! is touched by the undo. The run's change-tracking links come back when no later
//! synchronization moved them, and are cleared otherwise (the next synchronization then
//! compares everything, so it finds again what the undo reverted).

use super::later_syncs::apply;
use super::tenant::{Tenant, links};
use super::view::{Tracking, people, tracking};
use super::{assert_intact, assert_log_kept, undo};
use crate::support::{Db, TENANT, contoso, contoso_with_carl, dump};
use aadsync_store::{NewOrganization, OrgId, RunInfo, UndoChoices};
use rusqlite::Connection;

const FABRIKAM: &str = "7a0e5d3c-1b2f-4c6d-8e9f-0a1b2c3d4e5f";

fn fabrikam() -> NewOrganization {
    NewOrganization {
        tenant_id: FABRIKAM.into(),
        display_name: "Fabrikam".into(),
        primary_domain: "fabrikam.com".into(),
        ..contoso()
    }
}

fn contoso_id(db: &Db) -> OrgId {
    db.store
        .reader()
        .organizations()
        .expect("organizations")
        .into_iter()
        .find(|o| o.tenant_id == TENANT)
        .map(|o| o.id)
        .expect("contoso")
}

/// Every column of the organization `tenant_id`, or None.
fn org_row(conn: &Connection, tenant_id: &str) -> Option<String> {
    crate::support::dump(conn)["organizations"]
        .iter()
        .find(|row| row.contains(&format!("Text(\"{tenant_id}\")")))
        .cloned()
}

/// Contoso synchronized with links 0 (Ann imported), then R1: Ann renamed, links 1.
struct Scene {
    db: Db,
    tenant: Tenant,
    r1: i64,
    /// Contoso's change tracking right before R1.
    before: Tracking,
}

fn scene() -> Scene {
    let db = contoso_with_carl();
    let mut tenant = Tenant::of(&[("ann", "Ann Lee")], &[]);
    tenant.delta = Some(links(0));
    apply(&db, &tenant.sync());
    let before = tracking(db.store.writer().connection(), TENANT).expect("contoso");
    assert!(before.0.is_some(), "links 0 stored");
    tenant.person("ann").name = "Ann Smith".into();
    tenant.delta = Some(links(1));
    let r1 = apply(&db, &tenant.sync());
    Scene {
        db,
        tenant,
        r1,
        before,
    }
}

/// What a case expects of contoso's change tracking after the undo.
#[derive(Debug, Clone, Copy)]
enum Links {
    /// As right before R1 (with the safeguard given).
    AsBefore(i64, i64),
    /// No links: the next synchronization compares everything.
    Cleared,
    /// Contoso is not there.
    NoOrganization,
}

struct Case {
    name: &'static str,
    later: fn(&Db, &mut Tenant),
    links: Links,
    /// Fabrikam is there afterwards, exactly as before the undo.
    fabrikam: bool,
}

fn sync_fabrikam(db: &Db) {
    let mut other = Tenant::of(&[("zoe", "Zoe Ng")], &[]);
    let mut changes = other.sync();
    changes.users[0].object_id = "o-zoe-fabrikam".into();
    changes.users[0].user_principal_name = Some("zoe@fabrikam.com".into());
    changes.delta = Some(links(7));
    let run = RunInfo {
        tenant_id: FABRIKAM.into(),
        started_by: "admin@fabrikam.com".into(),
    };
    db.store
        .writer()
        .apply_directory_changes(&run, &changes)
        .expect("fabrikam sync");
}

const CASES: &[Case] = &[
    Case {
        name: "nothing since",
        later: |_, _| {},
        links: Links::AsBefore(10, 10),
        fabrikam: false,
    },
    Case {
        name: "another organization added and synchronized since",
        later: |db, _| {
            db.store
                .writer()
                .save_organization(&fabrikam())
                .expect("add");
            sync_fabrikam(db);
        },
        links: Links::AsBefore(10, 10),
        fabrikam: true,
    },
    Case {
        name: "the safeguard changed since",
        later: |db, _| {
            let id = contoso_id(db);
            db.store
                .writer()
                .set_deletion_threshold(id, 50, 20)
                .expect("threshold");
        },
        links: Links::AsBefore(50, 20),
        fabrikam: false,
    },
    Case {
        name: "the organization removed since",
        later: |db, _| {
            let id = contoso_id(db);
            db.store.writer().remove_organization(id).expect("remove");
        },
        links: Links::NoOrganization,
        fabrikam: false,
    },
    Case {
        // Contoso had the highest row id: Fabrikam would be given it.
        name: "the organization removed and another added and synchronized since",
        later: |db, _| {
            let id = contoso_id(db);
            db.store.writer().remove_organization(id).expect("remove");
            db.store
                .writer()
                .save_organization(&fabrikam())
                .expect("add");
            sync_fabrikam(db);
        },
        links: Links::NoOrganization,
        fabrikam: true,
    },
    Case {
        name: "a later synchronization moved the links",
        later: |db, t| {
            t.delta = Some(links(2));
            apply(db, &t.sync());
        },
        links: Links::Cleared,
        fabrikam: false,
    },
    Case {
        // A run with a failed object keeps the links it started from.
        name: "a later synchronization left the links",
        later: |db, t| {
            apply(db, &t.sync());
        },
        links: Links::AsBefore(10, 10),
        fabrikam: false,
    },
];

#[test]
fn undo_after_later_organization_changes() {
    for case in CASES {
        let Scene {
            db,
            mut tenant,
            r1,
            before,
        } = scene();
        (case.later)(&db, &mut tenant);
        let conn_before = dump(db.store.writer().connection());
        let fabrikam_before = org_row(db.store.writer().connection(), FABRIKAM);
        assert_eq!(fabrikam_before.is_some(), case.fabrikam, "{}", case.name);
        let plan = super::preview(&db, r1);
        assert!(
            plan.conflicts.is_empty(),
            "{}: {:?}",
            case.name,
            plan.conflicts
        );
        undo(&db, r1, &UndoChoices::default()).unwrap_or_else(|e| panic!("{}: {e}", case.name));

        let writer = db.store.writer();
        let conn = writer.connection();
        let expected = match case.links {
            Links::AsBefore(count, percent) => Some((
                before.0.clone(),
                before.1.clone(),
                before.2.clone(),
                count,
                percent,
            )),
            Links::Cleared => Some((None, None, None, 10, 10)),
            Links::NoOrganization => None,
        };
        assert_eq!(tracking(conn, TENANT), expected, "{}", case.name);
        assert_eq!(
            org_row(conn, FABRIKAM),
            fabrikam_before,
            "{}: Fabrikam untouched",
            case.name
        );
        let ann = people(conn).get("o-ann").map(|p| p.1.clone());
        assert_eq!(ann.as_deref(), Some("Ann Lee"), "{}: R1 undone", case.name);
        assert_log_kept(&conn_before, &dump(conn), case.name);
        assert_intact(conn, case.name);
    }
}
