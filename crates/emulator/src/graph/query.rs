//! OData query options as Graph accepts them on users, groups and members.

mod filter;
mod search;

use super::response::GraphError;
pub use crate::directory::Kind;
pub use crate::query_string::{encode_pairs, parse_pairs};
use filter::filterable;
pub use filter::{Expr, parse_filter};
pub use search::{parse_search, search_matches};

/// Default page size of directory collections, and the maximum `$top`.
pub const DEFAULT_TOP: usize = 100;
pub const MAX_TOP: usize = 999;

/// The query options of one list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub select: Option<Vec<String>>,
    pub top: usize,
    pub skip: usize,
    pub filter: Option<Expr>,
    pub search: Option<Vec<Vec<(String, String)>>>,
    pub count: bool,
    pub order_by_display_name: Option<bool>,
    /// The request's own parameters except `$skiptoken`, to build `@odata.nextLink`.
    pub pairs: Vec<(String, String)>,
}

/// Parses the query options of a list request. `eventual` is the ConsistencyLevel header.
pub fn parse_list(
    pairs: Vec<(String, String)>,
    eventual: bool,
    kind: Kind,
    known: &dyn Fn(&str) -> bool,
) -> Result<ListQuery, GraphError> {
    let mut q = ListQuery {
        top: DEFAULT_TOP,
        ..ListQuery::default()
    };
    for (key, value) in &pairs {
        match key.to_ascii_lowercase().as_str() {
            "$select" => q.select = Some(parse_select(value, kind, known)?),
            "$top" => q.top = parse_top(value)?,
            "$skiptoken" => q.skip = decode_skiptoken(value)?,
            "$count" => q.count = value.eq_ignore_ascii_case("true") && eventual,
            "$filter" => q.filter = Some(allowed_filter(value, eventual, kind)?),
            "$search" => q.search = Some(allowed_search(value, eventual)?),
            "$orderby" => q.order_by_display_name = Some(parse_order_by(value)?),
            "$expand" | "$skip" => {
                return Err(GraphError::unsupported(format!(
                    "The query parameter '{key}' is not supported."
                )));
            }
            _ => {}
        }
    }
    q.pairs = pairs
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken"))
        .collect();
    Ok(q)
}

/// `$select`: the listed properties, each one the collection knows (or `members`).
fn parse_select(
    value: &str,
    kind: Kind,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, GraphError> {
    let props: Vec<String> = value
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    if let Some(bad) = props.iter().find(|p| !known(p) && p.as_str() != "members") {
        return Err(GraphError::bad_request(format!(
            "Could not find a property named '{bad}' on type '{}'.",
            kind.type_name()
        )));
    }
    Ok(props)
}

/// `$top`: a page size from 1 to [`MAX_TOP`].
fn parse_top(value: &str) -> Result<usize, GraphError> {
    let top: usize = value.parse().unwrap_or(0);
    if !(1..=MAX_TOP).contains(&top) {
        return Err(GraphError::unsupported(format!(
            "Invalid page size specified: '{value}'. Must be between 1 and {MAX_TOP} inclusive."
        )));
    }
    Ok(top)
}

/// `$filter`: advanced operators only with `ConsistencyLevel: eventual`, and only on
/// properties Graph can filter that kind of object by.
fn allowed_filter(value: &str, eventual: bool, kind: Kind) -> Result<Expr, GraphError> {
    let expr = parse_filter(value)?;
    if expr.is_advanced() && !eventual {
        return Err(GraphError::unsupported(
            "Operator 'not' or 'ne' is not supported because the required parameters might be missing. Try adding $count with a value of true and the header ConsistencyLevel with a value of eventual.".into(),
        ));
    }
    if let Some(prop) = expr.properties().into_iter().find(|p| !filterable(kind, p)) {
        return Err(GraphError::unsupported(format!(
            "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{}'.",
            kind.resource()
        )));
    }
    Ok(expr)
}

/// `$search`: only with `ConsistencyLevel: eventual`.
fn allowed_search(value: &str, eventual: bool) -> Result<Vec<Vec<(String, String)>>, GraphError> {
    if !eventual {
        return Err(GraphError::unsupported(
            "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'".into(),
        ));
    }
    parse_search(value)
}

/// `$orderby`: `displayName`, ascending or descending (whether it is descending).
fn parse_order_by(value: &str) -> Result<bool, GraphError> {
    let mut words = value.split_whitespace();
    let prop = words.next().unwrap_or_default();
    let descending = match words.next() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "Invalid sort direction '{other}'."
            )));
        }
    };
    if prop != "displayName" {
        return Err(GraphError::unsupported(format!(
            "Sorting not supported for '{prop}'."
        )));
    }
    Ok(descending)
}

/// Paging tokens are opaque to clients: base64url of "o:<offset>".
pub fn encode_skiptoken(offset: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_skiptoken(token: &str) -> Result<usize, GraphError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            GraphError::bad_request(
                "The specified page token value has expired or is invalid.".into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skiptokens_round_trip_and_garbage_is_rejected() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(1998)).ok(), Some(1998));
        assert!(decode_skiptoken("not-a-token").is_err());
    }
}
