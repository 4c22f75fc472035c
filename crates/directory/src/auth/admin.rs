//! Only administrators may connect a tenant: the roles that count, and how to read them.

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
        "the account {account} is not an administrator of this tenant. Sign in with an account that has one of these roles: {needed}"
    )]
    NotAdmin { account: String, needed: String },
    #[error("cannot read the directory roles of {account}: {detail}")]
    Unreadable { account: String, detail: String },
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

/// Role template IDs of the signed-in user, from Graph's `me/memberOf` (all pages).
pub async fn roles_from_graph(
    http: &reqwest::Client,
    graph_root: &url::Url,
    access_token: &str,
    account: &str,
) -> Result<Vec<String>, AdminError> {
    let unreadable = |detail: String| AdminError::Unreadable {
        account: account.to_owned(),
        detail,
    };
    let mut url = format!(
        "{}/v1.0/me/memberOf?$select=id,displayName,roleTemplateId",
        graph_root.as_str().trim_end_matches('/')
    );
    // The next pages only through the pager: our token never follows a link off the Graph
    // root, and a loop of links ends.
    let mut pager = Pager::new(graph_root.as_str(), &url);
    let mut roles = Vec::new();
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
        if !status.is_success() {
            let message = body["error"]["message"]
                .as_str()
                .unwrap_or("no details")
                .to_owned();
            return Err(unreadable(format!(
                "Microsoft Graph answered {status}: {message}"
            )));
        }
        for item in body["value"].as_array().into_iter().flatten() {
            if item["@odata.type"] == "#microsoft.graph.directoryRole"
                && let Some(id) = item["roleTemplateId"].as_str()
            {
                roles.push(id.to_owned());
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
                 Administrator, User Administrator"
                    .to_owned()
            ),
            "no roles at all"
        );
    }
}
