//! Following `@odata.nextLink`: the one pager every Graph listing uses (collections, the
//! recycle bin, group members in `$batch`, delta rounds, the administrator's roles).
//!
//! A nextLink comes from the answer, so it is checked before our bearer token goes with it:
//! it must stay under the Graph root we were configured with (same scheme, host and port, no
//! user name, a path under `/v1.0/`); a link seen before (a loop) and more pages than the
//! collection can have stop with an error. Nothing else is decided from a link: it is only
//! followed, or, for `$batch`, turned into the path under the Graph root that it names.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use url::Url;

/// Pages one listing may have when the answer does not say how many objects there are: at
/// Graph's 999 per page that is about 100 million objects, far beyond any directory, and at
/// Graph's smallest pages (100) still 10 million. A loop of fresh links stops here.
pub const MAX_PAGES: u64 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagingError {
    #[error(
        "Microsoft Graph returned a paging link outside its own root ({link}); it was not followed. Check the Graph root in the organization's settings"
    )]
    Foreign { link: String },
    #[error(
        "Microsoft Graph returned a paging link it had already given ({link}); stopped instead of reading the same pages again. Try again later"
    )]
    Repeated { link: String },
    #[error(
        "Microsoft Graph returned a paging link that is not a link ({link}); stopped instead of taking the page for the last one. Try again later"
    )]
    Unreadable { link: String },
    #[error(
        "Microsoft Graph kept returning further pages after {pages} pages, more than the collection can have; stopped. Try again later"
    )]
    TooMany { pages: u64 },
}

/// One link to the next page, checked: the whole URL and its path under the Graph root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPage {
    /// The URL to request (as parsed and checked).
    pub url: String,
    /// The same, relative to `/v1.0` (`/users?$skiptoken=…`), as a `$batch` request names it.
    pub relative: String,
}

/// The links of one listing, from its first URL to the last page.
#[derive(Debug)]
pub struct Pager {
    /// `https://graph.microsoft.com/v1.0/`: every link must start here (`None`: an
    /// unparsable root, which no link matches).
    api_root: Option<Url>,
    /// SHA-256 of every URL requested so far (digests: 100,000 long links stay small).
    seen: HashSet<[u8; 32]>,
    pages: u64,
    limit: u64,
}

impl Pager {
    /// A listing under `graph_root` (`https://graph.microsoft.com`, with or without a trailing
    /// slash) that starts at `first`.
    pub fn new(graph_root: &str, first: &str) -> Self {
        let root = format!("{}/v1.0/", graph_root.trim_end_matches('/'));
        let api_root = Url::parse(&root).ok();
        let mut pager = Self {
            api_root,
            seen: HashSet::new(),
            pages: 0,
            limit: MAX_PAGES,
        };
        pager.seen.insert(digest(&normalized(first)));
        pager
    }

    /// The same pager stopping after `limit` pages (tests; a smaller listing's own bound).
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit.min(MAX_PAGES);
        self
    }

    /// After reading `page`: where the next page is, or `None` at the last one. Errors for a
    /// link outside the Graph root, one seen before, or one page too many.
    pub fn next(&mut self, page: &Value) -> Result<Option<NextPage>, PagingError> {
        self.follow(&page["@odata.nextLink"], &page["@odata.count"])
    }

    /// [`Self::next`] from a page's `@odata.nextLink` and `@odata.count` (each `Null` when
    /// the page has none), for a page not read into a `Value`.
    pub fn follow(
        &mut self,
        next_link: &Value,
        count: &Value,
    ) -> Result<Option<NextPage>, PagingError> {
        self.pages += 1;
        // `@odata.count` (when asked for) bounds the pages: each but the last holds an object.
        if let Some(count) = count.as_u64() {
            self.limit = self.limit.min(count.saturating_add(1));
        }
        // Absent (or null): the last page. Anything else that is not a string is a broken
        // link, not the end of the listing.
        let link = match next_link {
            Value::Null => return Ok(None),
            Value::String(link) => link,
            other => {
                return Err(PagingError::Unreadable {
                    link: other.to_string(),
                });
            }
        };
        let next = self.check(link)?;
        if self.pages >= self.limit {
            return Err(PagingError::TooMany { pages: self.pages });
        }
        if !self.seen.insert(digest(&next.url)) {
            return Err(PagingError::Repeated {
                link: link.to_owned(),
            });
        }
        Ok(Some(next))
    }

    /// `link` if it lies under the Graph root, with its path relative to `/v1.0`.
    pub fn check(&self, link: &str) -> Result<NextPage, PagingError> {
        let foreign = || PagingError::Foreign {
            link: link.to_owned(),
        };
        let url = Url::parse(link).map_err(|_| foreign())?;
        let root = self.api_root.as_ref().ok_or_else(foreign)?;
        let same_origin = url.scheme() == root.scheme()
            && url.host_str().is_some()
            && url.host_str() == root.host_str()
            && url.port_or_known_default() == root.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none()
            && url.fragment().is_none();
        if !same_origin || !url.path().starts_with(root.path()) {
            return Err(foreign());
        }
        let under = root.path().len() - 1; // keep the slash: `/users?…`
        let relative = url[url::Position::BeforePath..]
            .get(under..)
            .ok_or_else(foreign)?
            .to_owned();
        Ok(NextPage {
            url: url.to_string(),
            relative,
        })
    }
}

fn digest(link: &str) -> [u8; 32] {
    Sha256::digest(link.as_bytes()).into()
}

/// A link as it will be requested, so that two spellings of one URL count as one.
fn normalized(link: &str) -> String {
    Url::parse(link).map_or_else(|_| link.to_owned(), |u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROOT: &str = "https://graph.example/";

    fn page(next: &str) -> Value {
        json!({ "value": [], "@odata.nextLink": next })
    }

    #[test]
    fn links_must_stay_under_the_graph_root() {
        let pager = Pager::new(ROOT, "https://graph.example/v1.0/users");
        let ok = pager
            .check("https://graph.example/v1.0/users?$skiptoken=a")
            .expect("on the root");
        assert_eq!(ok.relative, "/users?$skiptoken=a");
        for foreign in [
            "https://evil.example/v1.0/users?$skiptoken=a",
            "https://graph.example.evil.example/v1.0/users",
            "http://graph.example/v1.0/users",
            "https://graph.example:8443/v1.0/users",
            "https://graph.example@evil.example/v1.0/users",
            "https://user@graph.example/v1.0/users",
            "https://graph.example/beta/users",
            "https://graph.example/v1.0",
            "https://graph.example/v1.0.evil/users",
            "https://graph.example/v1.0/../beta/users",
            "/v1.0/users",
            "not a url",
        ] {
            assert!(
                matches!(pager.check(foreign), Err(PagingError::Foreign { .. })),
                "{foreign}"
            );
        }
    }

    #[test]
    fn a_repeated_link_stops() {
        let first = "https://graph.example/v1.0/users";
        let mut pager = Pager::new(ROOT, first);
        assert!(matches!(
            pager.next(&page(first)),
            Err(PagingError::Repeated { .. })
        ));
        let mut pager = Pager::new(ROOT, first);
        let a = "https://graph.example/v1.0/users?$skiptoken=a";
        assert!(pager.next(&page(a)).expect("first").is_some());
        assert!(matches!(
            pager.next(&page(a)),
            Err(PagingError::Repeated { .. })
        ));
    }

    #[test]
    fn pages_are_bounded_by_the_count_and_the_ceiling() {
        let link = |n: u64| format!("https://graph.example/v1.0/users?$skiptoken={n}");
        let mut pager = Pager::new(ROOT, &link(0));
        let mut followed = 0;
        let stop = loop {
            let mut p = page(&link(followed + 1));
            p["@odata.count"] = json!(2);
            match pager.next(&p) {
                Ok(_) => followed += 1,
                Err(e) => break e,
            }
        };
        assert_eq!((followed, stop), (2, PagingError::TooMany { pages: 3 }));

        let mut pager = Pager::new(ROOT, &link(0)).with_limit(5);
        let pages = (1..).take_while(|n| pager.next(&page(&link(*n))).is_ok());
        assert_eq!(pages.count(), 4);
        assert_eq!(Pager::new(ROOT, "x").limit, MAX_PAGES);
        assert!(Pager::new(ROOT, "x").next(&json!({"value": []})) == Ok(None));
    }
}
