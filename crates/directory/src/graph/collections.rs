//! Whole collections page by page: users and groups with the properties aadsync stores,
//! `$search` over what admins search by, and the nextLinks followed through the one pager
//! (`crate::paging`: on the Graph root, no repeats, bounded).

use super::client::{GraphClient, GraphError, page_items};
use super::model::{GROUP_SELECT, RemoteGroup, RemoteUser, USER_SELECT};
use serde_json::Value;

/// Objects per page (Graph's maximum for users and groups).
pub const PAGE_SIZE: u32 = 999;

/// Percent-encodes a query value.
pub(super) fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Graph's `$search` clause for a typed query, over the properties admins search by.
pub fn search_clause(query: &str, properties: &[&str]) -> String {
    // Double quotes and backslashes would end the clause early.
    let q: String = query
        .trim()
        .chars()
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    properties
        .iter()
        .map(|p| format!("\"{p}:{q}\""))
        .collect::<Vec<_>>()
        .join(" OR ")
}

impl GraphClient {
    /// Follows `@odata.nextLink` from `first` through the pager (a link off the Graph root, a
    /// repeated link or too many pages is an error), handing each page's `value` to `on_page`
    /// as it arrives. A page without a `value` list, or one `on_page` cannot read, is an error.
    pub async fn pages(
        &self,
        first: String,
        eventual: bool,
        mut on_page: impl FnMut(Vec<Value>) -> Result<(), GraphError>,
    ) -> Result<(), GraphError> {
        let mut pager = self.pager(&first);
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let mut page = self.get(&url, eventual).await?;
            next = pager.next(&page)?.map(|link| link.url);
            on_page(page_items(&mut page)?)?;
        }
        Ok(())
    }

    /// The first page of a collection with `$select`, `$top` and, for a non-empty search,
    /// `$search` over `searched` (which needs `ConsistencyLevel: eventual`: the bool).
    fn collection_url(
        &self,
        collection: &str,
        select: &str,
        search: Option<&str>,
        searched: &[&str],
    ) -> (String, bool) {
        let mut url = self.url(&format!("/{collection}?$select={select}&$top={PAGE_SIZE}"));
        let search = search.map(str::trim).filter(|s| !s.is_empty());
        if let Some(q) = search {
            let clause = search_clause(q, searched);
            url.push_str(&format!("&$search={}", encode(&clause)));
        }
        (url, search.is_some())
    }

    /// All users, or those matching `search` (server-side `$search`), page by page.
    pub async fn users(
        &self,
        search: Option<&str>,
        mut on_page: impl FnMut(Vec<RemoteUser>),
    ) -> Result<(), GraphError> {
        let (url, eventual) = self.collection_url(
            "users",
            USER_SELECT,
            search,
            &["displayName", "userPrincipalName", "mail"],
        );
        self.pages(url, eventual, |items| {
            on_page(every(items, RemoteUser::from_json, "user")?);
            Ok(())
        })
        .await
    }

    /// All groups, or those matching `search`, page by page.
    pub async fn groups(
        &self,
        search: Option<&str>,
        mut on_page: impl FnMut(Vec<RemoteGroup>),
    ) -> Result<(), GraphError> {
        let (url, eventual) = self.collection_url(
            "groups",
            GROUP_SELECT,
            search,
            &["displayName", "mail", "description"],
        );
        self.pages(url, eventual, |items| {
            on_page(every(items, RemoteGroup::from_json, "group")?);
            Ok(())
        })
        .await
    }
}

/// Every item of a page read with `read`, or an error naming the first unreadable one: a
/// listing that skipped it would report the object as gone from the tenant.
pub(super) fn every<T>(
    items: Vec<Value>,
    read: impl Fn(Value) -> Option<T>,
    kind: &str,
) -> Result<Vec<T>, GraphError> {
    items
        .into_iter()
        .map(|item| {
            let id = item["id"].to_string();
            read(item).ok_or_else(|| {
                GraphError::unreadable(format!(
                    "Microsoft Graph described the {kind} {id} unreadably"
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_clauses_are_quoted_and_sanitized() {
        assert_eq!(
            search_clause(" ann ", &["displayName", "mail"]),
            "\"displayName:ann\" OR \"mail:ann\""
        );
        assert_eq!(
            search_clause("a\"b\\c", &["displayName"]),
            "\"displayName:abc\""
        );
    }
}
