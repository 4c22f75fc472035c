//! Organizations (Entra ID tenants) the admin has connected: where to sign in, who signed in.
//!
//! No token is ever stored here; the refresh token lives in the OS keyring under
//! (tenant ID, admin object ID), which is why both are kept.

use crate::users::{ReadHandle, WriteHandle};
use crate::{Result, StoreError};
use rusqlite::{OptionalExtension, Row, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct OrgId(pub i64);

/// Which Microsoft cloud; `Custom` has explicit URLs (an emulator, a test authority). The column
/// keeps its first values (a CHECK constraint): GCC, which uses the global endpoints, is stored
/// as `Global`, and `UsGovernment` is GCC High or DoD, told apart by the stored Graph URL
/// (`graph.microsoft.us` or `dod-graph.microsoft.us`) — so an organization saved as "US
/// Government" before DoD existed stays GCC High, which is what it meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CloudKind {
    Global,
    /// GCC High or DoD (see above).
    UsGovernment,
    China,
    Custom,
}

impl CloudKind {
    pub fn as_sql(self) -> &'static str {
        match self {
            CloudKind::Global => "global",
            CloudKind::UsGovernment => "us_government",
            CloudKind::China => "china",
            CloudKind::Custom => "custom",
        }
    }

    pub fn from_sql(text: &str) -> Option<Self> {
        Some(match text {
            "global" => CloudKind::Global,
            "us_government" => CloudKind::UsGovernment,
            "china" => CloudKind::China,
            "custom" => CloudKind::Custom,
            _ => return None,
        })
    }
}

/// What is saved after a successful administrator sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    pub tenant_id: String,
    pub display_name: String,
    pub primary_domain: String,
    pub cloud: CloudKind,
    /// The authority host (`https://login.microsoftonline.com`), without the tenant.
    pub authority_url: String,
    pub graph_url: String,
    pub client_id: String,
    pub admin_upn: String,
    pub admin_object_id: String,
    /// The offline demo tenant: its URLs are resolved to the embedded emulator at run time.
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: OrgId,
    pub tenant_id: String,
    pub display_name: String,
    pub primary_domain: String,
    pub cloud: CloudKind,
    pub authority_url: String,
    pub graph_url: String,
    pub client_id: String,
    pub admin_upn: Option<String>,
    pub admin_object_id: Option<String>,
    pub demo: bool,
    pub created_at: String,
    pub last_sync_at: Option<String>,
    /// When the stored change-tracking links were taken; `None` without links (the next sync
    /// compares everything).
    pub delta_taken_at: Option<String>,
    /// The deletion safeguard: more than this many objects…
    pub threshold_count: u32,
    /// …and more than this percentage of the imported objects need a confirmation.
    pub threshold_percent: u32,
}

/// SQL that is true when two organization rows (`$a` and `$b`) came through the same authority.
///
/// An organization is (authority, tenant), not the tenant GUID alone: anyone can run an
/// authority that claims a known tenant's GUID, and re-pointing a stored organization at it
/// would send later silent syncs (and their decisions) to that server. The offline demo's port
/// changes with every start, so demo rows match each other and nothing else. URLs compare
/// without case or a trailing slash, as `Cloud` serializes them.
macro_rules! same_authority {
    ($a:literal, $b:literal) => {
        concat!(
            "(",
            $a,
            ".demo = ",
            $b,
            ".demo AND (",
            $a,
            ".demo OR (",
            "lower(rtrim(",
            $a,
            ".authority_url, '/')) = lower(rtrim(",
            $b,
            ".authority_url, '/'))",
            " AND lower(rtrim(",
            $a,
            ".graph_url, '/')) = lower(rtrim(",
            $b,
            ".graph_url, '/')))))"
        )
    };
}

/// How an organization's origin is named in messages.
fn where_from(demo: bool, authority: &str, graph: &str) -> String {
    if demo {
        "the offline demo tenant".to_owned()
    } else {
        format!("{authority} (Graph {graph})")
    }
}

/// The largest count the safeguard accepts (the column's CHECK).
pub const MAX_THRESHOLD_COUNT: u32 = 1_000_000;

const COLUMNS: &str =
    "id, tenant_id, display_name, primary_domain, cloud, authority_url, graph_url,
     client_id, admin_upn, admin_object_id, demo, created_at, last_sync_at,
     CASE WHEN users_delta_link IS NOT NULL AND groups_delta_link IS NOT NULL
          THEN delta_taken_at END,
     deletion_threshold_count, deletion_threshold_percent";

fn organization(r: &Row<'_>) -> rusqlite::Result<Organization> {
    let cloud: String = r.get(4)?;
    Ok(Organization {
        id: OrgId(r.get(0)?),
        tenant_id: r.get(1)?,
        display_name: r.get(2)?,
        primary_domain: r.get(3)?,
        cloud: CloudKind::from_sql(&cloud).unwrap_or(CloudKind::Custom),
        authority_url: r.get(5)?,
        graph_url: r.get(6)?,
        client_id: r.get(7)?,
        admin_upn: r.get(8)?,
        admin_object_id: r.get(9)?,
        demo: r.get(10)?,
        created_at: r.get(11)?,
        last_sync_at: r.get(12)?,
        delta_taken_at: r.get(13)?,
        threshold_count: r.get(14)?,
        threshold_percent: r.get(15)?,
    })
}

/// The refusal for a sign-in to a stored tenant through another authority.
fn another_authority(conn: &rusqlite::Connection, org: &NewOrganization) -> StoreError {
    let tenant = org.tenant_id.trim().to_ascii_lowercase();
    let stored = conn
        .query_row(
            "SELECT demo, authority_url, graph_url FROM organizations WHERE tenant_id = ?1",
            [&tenant],
            |r| {
                let (authority, graph): (String, String) = (r.get(1)?, r.get(2)?);
                Ok(where_from(r.get(0)?, &authority, &graph))
            },
        )
        .unwrap_or_else(|e| format!("an authority this check could not read ({e})"));
    StoreError::AnotherAuthority {
        tenant,
        stored,
        offered: where_from(org.demo, &org.authority_url, &org.graph_url),
    }
}

impl ReadHandle<'_> {
    /// Every organization, by display name.
    pub fn organizations(&self) -> Result<Vec<Organization>> {
        let mut stmt = self
            .connection()
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM organizations ORDER BY display_name COLLATE NOCASE, id"
            ))
            .map_err(|e| self.error(e))?;
        let rows = stmt
            .query_map([], organization)
            .map_err(|e| self.error(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.error(e))
    }

    pub fn organization(&self, id: OrgId) -> Result<Organization> {
        self.connection()
            .query_row(
                &format!("SELECT {COLUMNS} FROM organizations WHERE id = ?1"),
                [id.0],
                organization,
            )
            .optional()
            .map_err(|e| self.error(e))?
            .ok_or(StoreError::OrganizationNotFound(id.0))
    }

    /// Refuses (with [`StoreError::AnotherAuthority`]) a sign-in to a stored tenant through
    /// another authority, before anything of it (its refresh token first) is saved.
    /// [`WriteHandle::save_organization`] checks the same again as it writes.
    pub fn check_authority(&self, org: &NewOrganization) -> Result<()> {
        let matches: Option<bool> = self
            .connection()
            .query_row(
                concat!(
                    "SELECT ",
                    same_authority!("o", "n"),
                    " FROM organizations o,
                       (SELECT ?2 AS demo, ?3 AS authority_url, ?4 AS graph_url) n
                     WHERE o.tenant_id = ?1"
                ),
                params![
                    org.tenant_id.trim().to_ascii_lowercase(),
                    org.demo,
                    org.authority_url,
                    org.graph_url
                ],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.error(e))?;
        match matches {
            Some(false) => Err(another_authority(self.connection(), org)),
            _ => Ok(()),
        }
    }

    /// The tenant's change-tracking links, when both were stored by a sync.
    pub fn delta_links(&self, tenant_id: &str) -> Result<Option<crate::DeltaLinks>> {
        self.connection()
            .query_row(
                "SELECT users_delta_link, groups_delta_link,
                        CAST(strftime('%s', delta_taken_at) AS INTEGER)
                 FROM organizations WHERE tenant_id = ?1
                   AND users_delta_link IS NOT NULL AND groups_delta_link IS NOT NULL
                   AND delta_taken_at IS NOT NULL",
                [tenant_id],
                |r| {
                    Ok(crate::DeltaLinks {
                        users: r.get(0)?,
                        groups: r.get(1)?,
                        taken_at: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.error(e))
    }
}

impl WriteHandle<'_> {
    /// Changes an organization's deletion safeguard (count 0–1,000,000, percent 0–100).
    pub fn set_deletion_threshold(&mut self, id: OrgId, count: u32, percent: u32) -> Result<()> {
        if count > MAX_THRESHOLD_COUNT || percent > 100 {
            return Err(StoreError::Invalid(format!(
                "the deletion safeguard takes a count from 0 to 1,000,000 and a percentage from 0 to 100 (not {count} and {percent})"
            )));
        }
        let changed = self
            .conn
            .execute(
                "UPDATE organizations SET deletion_threshold_count = ?2,
                    deletion_threshold_percent = ?3 WHERE id = ?1",
                rusqlite::params![id.0, count, percent],
            )
            .map_err(|e| StoreError::from_sqlite(self.path, e))?;
        if changed == 0 {
            return Err(StoreError::OrganizationNotFound(id.0));
        }
        Ok(())
    }

    /// Saves a signed-in organization. Signing in again to a tenant that is already stored
    /// updates it (names, URLs, admin) and keeps its history (created, last sync, delta links).
    pub fn save_organization(&mut self, org: &NewOrganization) -> Result<OrgId> {
        let tenant = org.tenant_id.trim().to_ascii_lowercase();
        if tenant.is_empty() || org.client_id.trim().is_empty() {
            return Err(StoreError::Invalid(
                "an organization needs a tenant ID and a client ID".into(),
            ));
        }
        let path = self.path;
        self.conn
            .query_row(
                concat!(
                    "INSERT INTO organizations (id, tenant_id, display_name, primary_domain,
                         cloud, authority_url, graph_url, client_id, admin_upn, admin_object_id,
                         demo)
                     VALUES (",
                    crate::ids::next_id!("organizations"),
                    ", ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (tenant_id) DO UPDATE SET
                     display_name = excluded.display_name,
                     primary_domain = excluded.primary_domain,
                     cloud = excluded.cloud,
                     authority_url = excluded.authority_url,
                     graph_url = excluded.graph_url,
                     client_id = excluded.client_id,
                     admin_upn = excluded.admin_upn,
                     admin_object_id = excluded.admin_object_id,
                     demo = excluded.demo
                   WHERE ",
                    same_authority!("organizations", "excluded"),
                    " RETURNING id"
                ),
                params![
                    tenant,
                    org.display_name,
                    org.primary_domain,
                    org.cloud.as_sql(),
                    org.authority_url,
                    org.graph_url,
                    org.client_id.trim().to_ascii_lowercase(),
                    org.admin_upn,
                    org.admin_object_id.trim().to_ascii_lowercase(),
                    org.demo,
                ],
                |r| r.get(0).map(OrgId),
            )
            .optional()
            .map_err(|e| StoreError::from_sqlite(path, e))?
            // The update's WHERE refused: the tenant is stored under another authority.
            .map_or_else(|| Err(another_authority(&self.conn, org)), Ok)
    }

    /// Removes an organization and returns what it was (so its keyring entries can be deleted).
    /// Users imported from it stay, and so does the audit log of its runs.
    pub fn remove_organization(&mut self, id: OrgId) -> Result<Organization> {
        let path = self.path;
        let org = self
            .conn
            .query_row(
                &format!("DELETE FROM organizations WHERE id = ?1 RETURNING {COLUMNS}"),
                [id.0],
                organization,
            )
            .optional()
            .map_err(|e| StoreError::from_sqlite(path, e))?;
        org.ok_or(StoreError::OrganizationNotFound(id.0))
    }
}
