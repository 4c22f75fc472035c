//! Which of aadsync's features the granted Microsoft Graph permissions allow, from the token
//! response's `scope` (aadsync asks for `.default`, so it lists exactly what the admin
//! consented): per feature, the permission that is missing and what the app does without it.
//! The least-privileged permissions are those Microsoft Learn documents for each call (see
//! ARCHITECTURE.md, "Graph and identity calls").

/// A feature of aadsync that needs its own Graph permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    SignIn,
    ImportUsers,
    ImportGroups,
    HiddenMembershipGroups,
    CheckDeletedUsers,
    CheckDeletedGroups,
}

impl Feature {
    pub const ALL: [Feature; 6] = [
        Feature::SignIn,
        Feature::ImportUsers,
        Feature::ImportGroups,
        Feature::HiddenMembershipGroups,
        Feature::CheckDeletedUsers,
        Feature::CheckDeletedGroups,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Feature::SignIn => "Sign-in (your account, roles, organization)",
            Feature::ImportUsers => "Import users",
            Feature::ImportGroups => "Import groups and members",
            Feature::HiddenMembershipGroups => "Groups with hidden membership",
            Feature::CheckDeletedUsers => "Check deleted objects: users",
            Feature::CheckDeletedGroups => "Check deleted objects: groups",
        }
    }

    /// Any one of these is enough; the first is the least privileged, the one to add.
    pub fn needs(self) -> &'static [&'static str] {
        match self {
            Feature::SignIn => &[
                "User.Read",
                "User.ReadWrite",
                "User.Read.All",
                "Directory.Read.All",
            ],
            Feature::ImportUsers | Feature::CheckDeletedUsers => &[
                "User.Read.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Feature::ImportGroups => &[
                "GroupMember.Read.All",
                "Group.Read.All",
                "Group.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Feature::HiddenMembershipGroups => &["Member.Read.Hidden"],
            Feature::CheckDeletedGroups => &[
                "Group.Read.All",
                "Group.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
        }
    }

    /// What aadsync does without the permission.
    pub fn without(self) -> &'static str {
        match self {
            Feature::SignIn | Feature::ImportUsers | Feature::ImportGroups => {
                "aadsync cannot work without it"
            }
            Feature::HiddenMembershipGroups => {
                "such groups fail alone in a synchronization; everything else is synchronized"
            }
            Feature::CheckDeletedUsers => "deleted users cannot be checked",
            Feature::CheckDeletedGroups => {
                "deleted users are checked, deleted groups are skipped with a note"
            }
        }
    }
}

/// One feature and the permission it lacks (`None`: granted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureAccess {
    pub feature: Feature,
    pub missing: Option<&'static str>,
}

/// Graph permission names in a token response's `scope` (resource prefixes such as
/// `https://graph.microsoft.com/` removed).
fn names(scopes: &[String]) -> Vec<&str> {
    scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|s| s.rsplit('/').next().unwrap_or(s))
        .collect()
}

/// Every feature with what it lacks, from the granted scopes.
pub fn feature_access(scopes: &[String]) -> Vec<FeatureAccess> {
    let have = names(scopes);
    Feature::ALL
        .iter()
        .map(|&feature| {
            let granted =
                (feature.needs().iter()).any(|p| have.iter().any(|h| h.eq_ignore_ascii_case(p)));
            FeatureAccess {
                feature,
                missing: (!granted).then(|| feature.needs()[0]),
            }
        })
        .collect()
}

/// One line per feature that lacks its permission, for the admin: what to add, and what
/// aadsync does meanwhile.
pub fn missing_lines(scopes: &[String]) -> Vec<String> {
    feature_access(scopes)
        .into_iter()
        .filter_map(|a| {
            a.missing.map(|permission| {
                format!(
                    "{}: needs the Microsoft Graph permission {permission} (add it and grant admin consent); until then {}",
                    a.feature.name(),
                    a.feature.without()
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case: its name, the granted `scope`, and each feature with the permission it lacks.
    type Case = (&'static str, String, Vec<(Feature, &'static str)>);

    fn s(scopes: &str) -> Vec<String> {
        vec![scopes.to_owned()]
    }

    #[test]
    fn each_feature_names_its_missing_permission() {
        let g = "https://graph.microsoft.com/";
        let readme = format!(
            "openid profile offline_access {g}User.Read {g}User.Read.All {g}GroupMember.Read.All"
        );
        let cases: Vec<Case> = vec![
            (
                "the README's minimal set",
                readme.clone(),
                vec![
                    (Feature::HiddenMembershipGroups, "Member.Read.Hidden"),
                    (Feature::CheckDeletedGroups, "Group.Read.All"),
                ],
            ),
            (
                "with the optional ones",
                format!("{readme} {g}Group.Read.All {g}Member.Read.Hidden"),
                vec![],
            ),
            (
                "Group.Read.All covers groups and deleted groups",
                format!("{g}User.Read {g}User.Read.All {g}Group.Read.All"),
                vec![(Feature::HiddenMembershipGroups, "Member.Read.Hidden")],
            ),
            (
                "User.Read removed",
                format!("{g}User.ReadBasic.All {g}GroupMember.Read.All"),
                vec![
                    (Feature::SignIn, "User.Read"),
                    (Feature::ImportUsers, "User.Read.All"),
                    (Feature::HiddenMembershipGroups, "Member.Read.Hidden"),
                    (Feature::CheckDeletedUsers, "User.Read.All"),
                    (Feature::CheckDeletedGroups, "Group.Read.All"),
                ],
            ),
            (
                "Directory.Read.All covers all but hidden membership, case-insensitively",
                "directory.read.all".to_owned(),
                vec![(Feature::HiddenMembershipGroups, "Member.Read.Hidden")],
            ),
        ];
        for (name, scopes, want) in cases {
            let got: Vec<(Feature, &str)> = feature_access(&s(&scopes))
                .into_iter()
                .filter_map(|a| a.missing.map(|m| (a.feature, m)))
                .collect();
            assert_eq!(got, want, "{name}");
        }
        let lines = missing_lines(&s(&readme));
        assert_eq!(lines.len(), 2);
        assert!(
            lines[1].starts_with(
                "Check deleted objects: groups: needs the Microsoft Graph permission Group.Read.All"
            ),
            "{lines:?}"
        );
    }
}
