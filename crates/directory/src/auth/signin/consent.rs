//! Which Graph permissions a sign-in asks for and which it needs: aadsync requests `.default`
//! (whatever the admin consented to), so the token's scopes say what was granted, and a missing
//! permission is named before anything is stored. A sign-in that asks for named permissions
//! instead (dynamic consent: the registration's bootstrap sign-in) says so with [`Scopes`].

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
    missing_from(
        scopes,
        REQUIRED_PERMISSIONS.iter().map(|g| g.iter().copied()),
    )
}

fn missing_from<'a, G>(scopes: &[String], required: impl IntoIterator<Item = G>) -> Option<String>
where
    G: IntoIterator<Item = &'a str> + Clone,
{
    let have = permission_names(scopes);
    required
        .into_iter()
        .find(|group| {
            !group
                .clone()
                .into_iter()
                .any(|p| have.iter().any(|h| h.eq_ignore_ascii_case(p)))
        })
        .and_then(|group| group.into_iter().next())
        .map(str::to_owned)
}

/// What one sign-in asks Microsoft Graph for, and what its token must then hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes {
    /// The Graph permissions requested, without the resource (`.default`, or names).
    pub graph: Vec<String>,
    /// Needed permissions, as alternatives: one of each inner list.
    pub required: Vec<Vec<String>>,
    /// Whether the permissions are asked by name (dynamic consent): a missing one was then
    /// not accepted on the consent page, rather than missing from the app registration.
    pub dynamic: bool,
}

impl Default for Scopes {
    /// The usual sign-in: `.default` and aadsync's [`REQUIRED_PERMISSIONS`].
    fn default() -> Self {
        Self {
            graph: GRAPH_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            required: REQUIRED_PERMISSIONS
                .iter()
                .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
            dynamic: false,
        }
    }
}

impl Scopes {
    /// Exactly these Graph permissions, each of them needed ("incremental and dynamic
    /// consent": the consent prompt lists them when the tenant has not granted them yet).
    pub fn named(permissions: &[&str]) -> Self {
        Self {
            graph: permissions.iter().map(|s| (*s).to_owned()).collect(),
            required: permissions.iter().map(|p| vec![(*p).to_owned()]).collect(),
            dynamic: true,
        }
    }

    /// The first needed permission the token's `scope` lacks.
    pub fn missing(&self, scopes: &[String]) -> Option<String> {
        missing_from(
            scopes,
            self.required.iter().map(|g| g.iter().map(String::as_str)),
        )
    }
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

    #[test]
    fn named_scopes_need_each_of_them() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let named = Scopes::named(&["User.Read", "Application.ReadWrite.All"]);
        assert!(named.dynamic);
        assert_eq!(
            named.missing(&s(&[
                "https://graph.microsoft.com/Application.ReadWrite.All"
            ])),
            Some("User.Read".into())
        );
        assert_eq!(
            named.missing(&s(&["User.Read application.readwrite.all openid"])),
            None
        );
        let usual = Scopes::default();
        assert_eq!(usual.graph, [".default"]);
        assert_eq!(
            usual.missing(&s(&["User.Read", "User.Read.All"])),
            Some("GroupMember.Read.All".into())
        );
    }
}
