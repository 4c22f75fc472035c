//! Only administrators may connect a tenant: the roles that count, and how to read them — from
//! the ID token's `wids` when the app registration's token configuration puts them there, else
//! from Graph's `me/transitiveMemberOf` (which, unlike `memberOf`, includes roles held through
//! a role-assignable group). With only the README's permissions Graph lists directory roles
//! with "limited information" (no `roleTemplateId`): such a role proves nothing either way, so
//! the answer is then "cannot tell" with the registration change that makes it tell.

use crate::body::{MAX_SIGN_IN_BODY, read_json};
use crate::paging::Pager;
use serde_json::Value;

/// Directory roles accepted by default (role template IDs, which are the same in every tenant).
pub const DEFAULT_ADMIN_ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    #[error(
        "the account {account} is not an administrator of this tenant. Sign in with an account that has one of these roles: {needed}. If the role is eligible in Privileged Identity Management (PIM), activate it there (Microsoft Entra admin center → Identity Governance → Privileged Identity Management → My roles) and sign in again"
    )]
    NotAdmin { account: String, needed: String },
    #[error(
        "cannot tell whether {account} is an administrator: Microsoft Graph lists {limited} directory role(s) of the account without saying which, because the app registration may not read directory roles. In the Microsoft Entra admin center open App registrations → this app → Token configuration → Add groups claim, tick \"Directory roles\" and save, then sign in again (or grant the delegated permission RoleManagement.Read.Directory with admin consent)"
    )]
    CannotTell { account: String, limited: usize },
    #[error(
        "cannot read the directory roles of {account}: Microsoft Graph refused (403). The app registration lacks the delegated Microsoft Graph permission User.Read with admin consent: in the Microsoft Entra admin center open App registrations → this app → API permissions, add User.Read and choose \"Grant admin consent\""
    )]
    NoUserRead { account: String },
    #[error("cannot read the directory roles of {account}: {detail}")]
    Unreadable { account: String, detail: String },
}

/// What Graph's `me/transitiveMemberOf` says about the account's directory roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphRoles {
    /// Role template IDs of the roles Graph showed in full.
    pub templates: Vec<String>,
    /// Directory roles listed with limited information (no `roleTemplateId`).
    pub limited: usize,
}

/// Which roles are accepted, by template ID with a display name for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminPolicy {
    pub roles: Vec<(String, String)>,
}

impl Default for AdminPolicy {
    fn default() -> Self {
        Self {
            roles: DEFAULT_ADMIN_ROLES
                .iter()
                .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
                .collect(),
        }
    }
}

impl AdminPolicy {
    /// From Graph: an accepted role is proof; otherwise a role listed with limited information
    /// means "cannot tell", never a refusal (it may be the accepted one) nor an acceptance.
    pub fn decide_from_graph(
        &self,
        account: &str,
        roles: &GraphRoles,
    ) -> Result<Vec<String>, AdminError> {
        match self.decide(account, &roles.templates) {
            Err(AdminError::NotAdmin { .. }) if roles.limited > 0 => Err(AdminError::CannotTell {
                account: account.to_owned(),
                limited: roles.limited,
            }),
            decided => decided,
        }
    }

    /// The accepted roles the account holds, or why it is refused.
    pub fn decide(&self, account: &str, held: &[String]) -> Result<Vec<String>, AdminError> {
        let matched: Vec<String> = self
            .roles
            .iter()
            .filter(|(id, _)| held.iter().any(|h| h.eq_ignore_ascii_case(id)))
            .map(|(_, name)| name.clone())
            .collect();
        if matched.is_empty() {
            let needed = self
                .roles
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            Err(AdminError::NotAdmin {
                account: account.to_owned(),
                needed,
            })
        } else {
            Ok(matched)
        }
    }
}

/// The account's accepted roles: from the ID token's `wids` when present (the registration's
/// groups claim includes directory roles), else from Graph.
pub async fn check_roles(
    policy: &AdminPolicy,
    wids: &[String],
    graph: (&reqwest::Client, &url::Url, &str),
    account: &str,
) -> Result<Vec<String>, AdminError> {
    if !wids.is_empty() {
        return policy.decide(account, wids);
    }
    let (http, graph_root, access_token) = graph;
    let roles = roles_from_graph(http, graph_root, access_token, account).await?;
    policy.decide_from_graph(account, &roles)
}

/// The signed-in user's directory roles from Graph's `me/transitiveMemberOf` (all pages).
pub async fn roles_from_graph(
    http: &reqwest::Client,
    graph_root: &url::Url,
    access_token: &str,
    account: &str,
) -> Result<GraphRoles, AdminError> {
    let unreadable = |detail: String| AdminError::Unreadable {
        account: account.to_owned(),
        detail,
    };
    let mut url = format!(
        "{}/v1.0/me/transitiveMemberOf?$select=id,roleTemplateId",
        graph_root.as_str().trim_end_matches('/')
    );
    // The next pages only through the pager: our token never follows a link off the Graph
    // root, and a loop of links ends.
    let mut pager = Pager::new(graph_root.as_str(), &url);
    let mut roles = GraphRoles::default();
    loop {
        let response = http
            .get(&url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| unreadable(e.to_string()))?;
        let status = response.status();
        let body: Value = read_json(response, MAX_SIGN_IN_BODY)
            .await
            .map_err(|e| unreadable(format!("unexpected answer ({e})")))?;
        if status == reqwest::StatusCode::FORBIDDEN {
            return Err(AdminError::NoUserRead {
                account: account.to_owned(),
            });
        }
        if !status.is_success() {
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("no details")
                .to_owned();
            return Err(unreadable(format!(
                "Microsoft Graph answered {status}: {message}"
            )));
        }
        // A page without its list is unreadable, not an account without roles.
        let Some(items) = body["value"].as_array() else {
            return Err(unreadable(
                "Microsoft Graph answered without the list of memberships".into(),
            ));
        };
        for item in items {
            if item["@odata.type"] != "#microsoft.graph.directoryRole" {
                continue;
            }
            match item["roleTemplateId"].as_str() {
                Some(id) => roles.templates.push(id.to_owned()),
                None => roles.limited += 1,
            }
        }
        match pager.next(&body).map_err(|e| unreadable(e.to_string()))? {
            Some(next) => url = next.url,
            None => return Ok(roles),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let policy = AdminPolicy::default();
        let held = |ids: &[&str]| ids.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            policy.decide("a@x", &held(&["62E90394-69F5-4237-9190-012177145E10"])),
            Ok(vec!["Global Administrator".to_owned()])
        );
        assert_eq!(
            policy.decide(
                "a@x",
                &held(&[
                    "b79fbf4d-3ef9-4689-8143-76b194e85509",
                    "fe930be7-5e62-47db-91af-98c3a49a38b1"
                ])
            ),
            Ok(vec!["User Administrator".to_owned()])
        );
        let refused = policy.decide(
            "alex@contoso.com",
            &held(&["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]),
        );
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("alex@contoso.com")
                && message.contains(
                    "Global Administrator, Privileged Role Administrator, User Administrator"
                ),
            "{message}"
        );
        assert_eq!(
            policy.decide("a@x", &[]).map_err(|e| e.to_string()),
            Err(
                "the account a@x is not an administrator of this tenant. Sign in with an account \
                 that has one of these roles: Global Administrator, Privileged Role \
                 Administrator, User Administrator. If the role is eligible in Privileged \
                 Identity Management (PIM), activate it there (Microsoft Entra admin center → \
                 Identity Governance → Privileged Identity Management → My roles) and sign in \
                 again"
                    .to_owned()
            ),
            "no roles at all"
        );
    }

    /// Roles from Graph: a role with limited information is neither proof nor refusal.
    #[test]
    fn graph_answers_with_limited_information() {
        let policy = AdminPolicy::default();
        let roles = |templates: &[&str], limited| GraphRoles {
            templates: templates.iter().map(|s| (*s).to_owned()).collect(),
            limited,
        };
        const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
        const READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
        let kind = |r: Result<Vec<String>, AdminError>| match r {
            Ok(names) => names.join(","),
            Err(AdminError::NotAdmin { .. }) => "refused".into(),
            Err(AdminError::CannotTell { limited, .. }) => format!("cannot tell ({limited})"),
            Err(other) => other.to_string(),
        };
        let cases = [
            (roles(&[GA], 0), "Global Administrator"),
            (roles(&[GA], 2), "Global Administrator"),
            (roles(&[], 0), "refused"),
            (roles(&[READER], 0), "refused"),
            (roles(&[], 1), "cannot tell (1)"),
            (roles(&[READER], 1), "cannot tell (1)"),
        ];
        for (graph, expected) in cases {
            assert_eq!(
                kind(policy.decide_from_graph("a@x", &graph)),
                expected,
                "{graph:?}"
            );
        }
        let message = AdminError::CannotTell {
            account: "a@x".into(),
            limited: 1,
        }
        .to_string();
        assert!(
            message.contains("Token configuration")
                && message.contains("Directory roles")
                && message.contains("RoleManagement.Read.Directory"),
            "{message}"
        );
    }
}
