//! Which Graph permissions a sign-in asks for and which it needs: aadsync requests `.default`
//! (whatever the admin consented to), so the token's scopes say what was granted, and a missing
//! permission is named before anything is stored.

/// aadsync asks for every delegated Graph permission the admin consented to (MSAL's `.default`),
/// so an app registration with `Group.Read.All` instead of `GroupMember.Read.All` works as is.
pub const GRAPH_SCOPES: &[&str] = &[".default"];

/// Permissions needed, as alternatives: one of each inner list. `User.Read` (or a permission
/// Microsoft Learn lists above it for `GET /organization`) is first: without it the tenant
/// cannot be read, and an admin who removed the registration's default must hear its name.
pub const REQUIRED_PERMISSIONS: &[&[&str]] = &[
    &["User.Read", "Directory.Read.All", "Directory.ReadWrite.All"],
    &["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"],
    &[
        "GroupMember.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
    ],
];

/// Graph permission names in a token response's `scope` (resource prefixes removed).
fn permission_names(scopes: &[String]) -> Vec<String> {
    scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
        .collect()
}

/// The first required permission group the token does not satisfy, named for the admin.
pub fn missing_permission(scopes: &[String]) -> Option<String> {
    let have = permission_names(scopes);
    REQUIRED_PERMISSIONS
        .iter()
        .find(|group| {
            !group
                .iter()
                .any(|p| have.iter().any(|h| h.eq_ignore_ascii_case(p)))
        })
        .map(|group| group.first().copied().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_checked_as_alternatives() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            missing_permission(&s(&[
                "https://graph.microsoft.com/User.Read https://graph.microsoft.com/User.Read.All https://graph.microsoft.com/Group.Read.All openid"
            ])),
            None
        );
        assert_eq!(
            missing_permission(&s(&["User.Read", "Directory.Read.All", "profile"])),
            None
        );
        assert_eq!(
            missing_permission(&s(&["User.Read", "GroupMember.Read.All"])),
            Some("User.Read.All".into())
        );
        assert_eq!(
            missing_permission(&s(&["User.Read", "User.Read.All"])),
            Some("GroupMember.Read.All".into())
        );
        assert_eq!(
            missing_permission(&s(&["User.Read.All", "GroupMember.Read.All"])),
            Some("User.Read".into()),
            "User.Read removed from the registration"
        );
    }
}
