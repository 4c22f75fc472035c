//! Whole collections page by page: users and groups with the properties aadsync stores,
//! `$search` over what admins search by, and the nextLinks followed through the one pager
//! (`crate::paging`: on the Graph root, no repeats, bounded).

use super::client::{GraphClient, GraphError, page_items};
use super::model::{GROUP_SELECT, RemoteGroup, RemoteUser, USER_SELECT};
use super::page::Page;
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

    /// [`Self::pages`] for objects of one type, each read from its JSON text with `read` (no
    /// `Value` tree per page): `on_page` gets the page's objects, every one or an error.
    async fn typed_pages<T>(
        &self,
        first: String,
        eventual: bool,
        (read, kind): (fn(&str) -> Option<T>, &str),
        mut on_page: impl FnMut(Vec<T>),
    ) -> Result<(), GraphError> {
        let mut pager = self.pager(&first);
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let text = self.get_raw(&url, eventual).await?;
            let page = Page::read(text.get())?;
            next = pager
                .follow(&page.next_link, &page.count)?
                .map(|link| link.url);
            on_page(page.objects(read, kind)?);
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
        on_page: impl FnMut(Vec<RemoteUser>),
    ) -> Result<(), GraphError> {
        let (url, eventual) = self.collection_url(
            "users",
            USER_SELECT,
            search,
            &["displayName", "userPrincipalName", "mail"],
        );
        self.typed_pages(url, eventual, (RemoteUser::from_text, "user"), on_page)
            .await
    }

    /// All groups, or those matching `search`, page by page.
    pub async fn groups(
        &self,
        search: Option<&str>,
        on_page: impl FnMut(Vec<RemoteGroup>),
    ) -> Result<(), GraphError> {
        let (url, eventual) = self.collection_url(
            "groups",
            GROUP_SELECT,
            search,
            &["displayName", "mail", "description"],
        );
        self.typed_pages(url, eventual, (RemoteGroup::from_text, "group"), on_page)
            .await
    }
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
