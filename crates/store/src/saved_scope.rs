//! The organization's saved scope as `aadsync scope` and the wizard show it: every root with
//! its name as imported, its flags, who added it, and how many imported users it reaches.

use crate::Result;
use crate::changes::{ObjectKind, ScopeRoot};
use crate::users::ReadHandle;

/// One saved scope root.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SavedRoot {
    pub kind: ObjectKind,
    pub object_id: String,
    /// As imported; empty when the object was never imported (or was deleted on this server).
    pub display_name: String,
    pub members: bool,
    pub nested: bool,
    pub added_by: String,
    pub added_at: String,
    /// Imported users the last synchronization found in scope through this root.
    pub users_reached: u64,
}

impl SavedRoot {
    pub fn root(&self) -> ScopeRoot {
        ScopeRoot {
            kind: self.kind,
            object_id: self.object_id.clone(),
            members: self.members,
            nested: self.nested,
        }
    }
}

impl ReadHandle<'_> {
    /// The tenant's saved scope roots: groups first, then users, each by name.
    pub fn saved_scope(&self, tenant_id: &str) -> Result<Vec<SavedRoot>> {
        let mut stmt = self
            .connection()
            .prepare_cached(
                "SELECT r.object_type, r.object_id,
                        coalesce(g.display_name, u.display_name, ''),
                        r.members, r.nested, r.added_by, r.added_at,
                        (SELECT count(*) FROM azure_scope_reasons s
                         JOIN azure_users au ON au.tenant_id = s.tenant_id
                                            AND au.object_id = s.object_id
                         WHERE s.tenant_id = r.tenant_id AND s.root_id = r.object_id)
                 FROM azure_scope_roots r
                 LEFT JOIN azure_groups g ON r.object_type = 'group'
                      AND g.tenant_id = r.tenant_id AND g.object_id = r.object_id
                 LEFT JOIN azure_users u ON r.object_type = 'user'
                      AND u.tenant_id = r.tenant_id AND u.object_id = r.object_id
                 WHERE r.tenant_id = ?1
                 ORDER BY r.object_type = 'user',
                          coalesce(g.display_name, u.display_name, '') COLLATE NOCASE, r.object_id",
            )
            .map_err(|e| self.error(e))?;
        stmt.query_map([tenant_id], |r| {
            Ok(SavedRoot {
                kind: r.get(0)?,
                object_id: r.get(1)?,
                display_name: r.get(2)?,
                members: r.get(3)?,
                nested: r.get(4)?,
                added_by: r.get(5)?,
                added_at: r.get(6)?,
                users_reached: r.get::<_, i64>(7)?.unsigned_abs(),
            })
        })
        .and_then(|rows| rows.collect())
        .map_err(|e| self.error(e))
    }
}
