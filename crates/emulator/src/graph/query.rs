//! OData query options as Graph accepts them on users, groups and members.

use super::GraphError;
pub use crate::directory::Kind;
pub use crate::query_string::{encode_pairs, parse_pairs};
use serde_json::Value;

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
            "$select" => {
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
                q.select = Some(props);
            }
            "$top" => {
                let top: usize = value.parse().unwrap_or(0);
                if !(1..=MAX_TOP).contains(&top) {
                    return Err(GraphError::unsupported(format!(
                        "Invalid page size specified: '{value}'. Must be between 1 and {MAX_TOP} inclusive."
                    )));
                }
                q.top = top;
            }
            "$skiptoken" => q.skip = decode_skiptoken(value)?,
            "$count" => q.count = value.eq_ignore_ascii_case("true") && eventual,
            "$filter" => {
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
                q.filter = Some(expr);
            }
            "$search" => {
                if !eventual {
                    return Err(GraphError::unsupported(
                        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'".into(),
                    ));
                }
                q.search = Some(parse_search(value)?);
            }
            "$orderby" => {
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
                q.order_by_display_name = Some(descending);
            }
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

fn filterable(kind: Kind, prop: &str) -> bool {
    let users = [
        "id",
        "displayName",
        "userPrincipalName",
        "mail",
        "givenName",
        "surname",
        "jobTitle",
        "department",
        "accountEnabled",
        "userType",
        "officeLocation",
        "createdDateTime",
    ];
    let groups = [
        "id",
        "displayName",
        "mail",
        "mailEnabled",
        "securityEnabled",
        "description",
    ];
    match kind {
        Kind::User => users.contains(&prop),
        Kind::Group => groups.contains(&prop),
        Kind::DirectoryObject => users.contains(&prop) || groups.contains(&prop),
    }
}

/// A `$filter` expression (the subset aadsync and common clients use).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Eq(String, Value),
    Ne(String, Value),
    StartsWith(String, String),
    In(String, Vec<Value>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

impl Expr {
    fn is_advanced(&self) -> bool {
        match self {
            Expr::Ne(..) | Expr::Not(_) => true,
            Expr::And(a, b) | Expr::Or(a, b) => a.is_advanced() || b.is_advanced(),
            _ => false,
        }
    }

    fn properties(&self) -> Vec<&str> {
        match self {
            Expr::Eq(p, _) | Expr::Ne(p, _) | Expr::StartsWith(p, _) | Expr::In(p, _) => vec![p],
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut v = a.properties();
                v.extend(b.properties());
                v
            }
            Expr::Not(e) => e.properties(),
        }
    }

    /// Evaluates against a full JSON object. String comparisons ignore case, as Graph's do.
    pub fn matches(&self, object: &Value) -> bool {
        let eq = |a: &Value, b: &Value| match (a, b) {
            (Value::String(a), Value::String(b)) => {
                a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
            }
            (a, b) => a == b,
        };
        match self {
            Expr::Eq(p, v) => eq(object.get(p).unwrap_or(&Value::Null), v),
            Expr::Ne(p, v) => !eq(object.get(p).unwrap_or(&Value::Null), v),
            Expr::StartsWith(p, prefix) => object
                .get(p)
                .and_then(Value::as_str)
                .is_some_and(|s| s.to_lowercase().starts_with(&prefix.to_lowercase())),
            Expr::In(p, values) => {
                let have = object.get(p).unwrap_or(&Value::Null);
                values.iter().any(|v| eq(have, v))
            }
            Expr::And(a, b) => a.matches(object) && b.matches(object),
            Expr::Or(a, b) => a.matches(object) || b.matches(object),
            Expr::Not(e) => !e.matches(object),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Lit(Value),
    Open,
    Close,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<Token>, GraphError> {
    let bad =
        || GraphError::bad_request(format!("Invalid filter clause: syntax error in '{text}'."));
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(bad()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(s));
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ' ' | '(' | ')' | ',' | '\'') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                out.push(match word.as_str() {
                    "true" => Token::Lit(Value::Bool(true)),
                    "false" => Token::Lit(Value::Bool(false)),
                    "null" => Token::Lit(Value::Null),
                    w if w.parse::<f64>().is_ok() && !w.chars().any(char::is_alphabetic) => {
                        Token::Lit(serde_json::from_str(w).map_err(|_| bad())?)
                    }
                    _ => Token::Ident(word),
                });
            }
        }
    }
    Ok(out)
}

/// Parses `$filter`: `eq`, `ne`, `in`, `startswith()`, `and`, `or`, `not`, parentheses.
pub fn parse_filter(text: &str) -> Result<Expr, GraphError> {
    let tokens = tokenize(text)?;
    let mut pos = 0;
    let expr = parse_or(&tokens, &mut pos, text)?;
    if pos != tokens.len() {
        return Err(GraphError::bad_request(format!(
            "Invalid filter clause: unexpected text in '{text}'."
        )));
    }
    Ok(expr)
}

fn syntax(text: &str) -> GraphError {
    GraphError::bad_request(format!("Invalid filter clause: syntax error in '{text}'."))
}

fn keyword(tokens: &[Token], pos: usize, word: &str) -> bool {
    matches!(tokens.get(pos), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
}

fn parse_or(tokens: &[Token], pos: &mut usize, text: &str) -> Result<Expr, GraphError> {
    let mut left = parse_and(tokens, pos, text)?;
    while keyword(tokens, *pos, "or") {
        *pos += 1;
        left = Expr::Or(Box::new(left), Box::new(parse_and(tokens, pos, text)?));
    }
    Ok(left)
}

fn parse_and(tokens: &[Token], pos: &mut usize, text: &str) -> Result<Expr, GraphError> {
    let mut left = parse_atom(tokens, pos, text)?;
    while keyword(tokens, *pos, "and") {
        *pos += 1;
        left = Expr::And(Box::new(left), Box::new(parse_atom(tokens, pos, text)?));
    }
    Ok(left)
}

fn literal(tokens: &[Token], pos: &mut usize, text: &str) -> Result<Value, GraphError> {
    let value = match tokens.get(*pos) {
        Some(Token::Str(s)) => Value::String(s.clone()),
        Some(Token::Lit(v)) => v.clone(),
        _ => return Err(syntax(text)),
    };
    *pos += 1;
    Ok(value)
}

fn expect(tokens: &[Token], pos: &mut usize, token: &Token, text: &str) -> Result<(), GraphError> {
    if tokens.get(*pos) == Some(token) {
        *pos += 1;
        Ok(())
    } else {
        Err(syntax(text))
    }
}

fn parse_atom(tokens: &[Token], pos: &mut usize, text: &str) -> Result<Expr, GraphError> {
    if tokens.get(*pos) == Some(&Token::Open) {
        *pos += 1;
        let inner = parse_or(tokens, pos, text)?;
        expect(tokens, pos, &Token::Close, text)?;
        return Ok(inner);
    }
    if keyword(tokens, *pos, "not") {
        *pos += 1;
        return Ok(Expr::Not(Box::new(parse_atom(tokens, pos, text)?)));
    }
    if keyword(tokens, *pos, "startswith") {
        *pos += 1;
        expect(tokens, pos, &Token::Open, text)?;
        let Some(Token::Ident(prop)) = tokens.get(*pos).cloned() else {
            return Err(syntax(text));
        };
        *pos += 1;
        expect(tokens, pos, &Token::Comma, text)?;
        let Value::String(prefix) = literal(tokens, pos, text)? else {
            return Err(syntax(text));
        };
        expect(tokens, pos, &Token::Close, text)?;
        return Ok(Expr::StartsWith(prop, prefix));
    }
    let Some(Token::Ident(prop)) = tokens.get(*pos).cloned() else {
        return Err(syntax(text));
    };
    *pos += 1;
    let Some(Token::Ident(op)) = tokens.get(*pos).cloned() else {
        return Err(syntax(text));
    };
    *pos += 1;
    match op.to_ascii_lowercase().as_str() {
        "eq" => Ok(Expr::Eq(prop, literal(tokens, pos, text)?)),
        "ne" => Ok(Expr::Ne(prop, literal(tokens, pos, text)?)),
        "in" => {
            expect(tokens, pos, &Token::Open, text)?;
            let mut values = vec![literal(tokens, pos, text)?];
            while tokens.get(*pos) == Some(&Token::Comma) {
                *pos += 1;
                values.push(literal(tokens, pos, text)?);
            }
            expect(tokens, pos, &Token::Close, text)?;
            Ok(Expr::In(prop, values))
        }
        other => Err(GraphError::unsupported(format!(
            "Unsupported query: the operator '{other}' is not supported."
        ))),
    }
}

/// `$search="displayName:wa" OR "mail:wa"`: a list of OR-ed groups of AND-ed (property, term).
pub fn parse_search(text: &str) -> Result<Vec<Vec<(String, String)>>, GraphError> {
    let bad = || {
        GraphError::bad_request(format!(
            "Syntax error: invalid $search value {text}. Use \"property:term\" clauses joined by AND or OR."
        ))
    };
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    let mut rest = text.trim();
    loop {
        let Some(after) = rest.strip_prefix('"') else {
            return Err(bad());
        };
        let mut clause = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                None => return Err(bad()),
                Some((_, '\\')) => {
                    if let Some((_, c)) = chars.next() {
                        clause.push(c);
                    }
                }
                Some((i, '"')) => break i,
                Some((_, c)) => clause.push(c),
            }
        };
        let (prop, term) = clause.split_once(':').ok_or_else(bad)?;
        if let Some(last) = groups.last_mut() {
            last.push((prop.trim().to_owned(), term.trim().to_owned()));
        }
        rest = after[end + 1..].trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(r) = rest.strip_prefix("OR") {
            groups.push(Vec::new());
            rest = r.trim_start();
        } else if let Some(r) = rest.strip_prefix("AND") {
            rest = r.trim_start();
        } else {
            return Err(bad());
        }
    }
    Ok(groups)
}

/// Graph's `$search` semantics: displayName and description are tokenized (any word starts
/// with the term); other properties match from the start.
pub fn search_matches(groups: &[Vec<(String, String)>], object: &Value) -> bool {
    groups.iter().any(|clauses| {
        clauses.iter().all(|(prop, term)| {
            let Some(value) = object.get(prop).and_then(Value::as_str) else {
                return false;
            };
            let value = value.to_lowercase();
            let term = term.to_lowercase();
            if prop == "displayName" || prop == "description" {
                value.starts_with(&term)
                    || value
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|word| word.starts_with(&term))
            } else {
                value.starts_with(&term)
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({"displayName": "Adele Vance", "mail": "AdeleV@contoso.com", "accountEnabled": true,
               "userType": "Member", "department": "Retail", "id": "1"})
    }

    #[test]
    fn filters() {
        let cases = [
            ("accountEnabled eq true", true),
            ("accountEnabled eq false", false),
            ("userType eq 'Member' and department eq 'retail'", true),
            ("startswith(displayName,'ade')", true),
            ("startswith(displayName,'vance')", false),
            ("id in ('2','1')", true),
            ("userType eq 'Guest' or mail eq 'adelev@contoso.com'", true),
            (
                "(userType eq 'Guest' or userType eq 'Member') and accountEnabled eq true",
                true,
            ),
            ("not (userType eq 'Member')", false),
            ("displayName eq 'O''Brien'", false),
        ];
        for (text, expect) in cases {
            let expr = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(expr.matches(&user()), expect, "{text}");
        }
        for bad in [
            "accountEnabled eq",
            "startswith(displayName)",
            "x gt 1",
            "a eq 'unterminated",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn searches() {
        let cases = [
            ("\"displayName:van\"", true),
            ("\"displayName:del\"", false),
            ("\"mail:adelev\"", true),
            ("\"displayName:zz\" OR \"mail:adele\"", true),
            ("\"displayName:adele\" AND \"mail:zz\"", false),
        ];
        for (text, expect) in cases {
            let groups = parse_search(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(search_matches(&groups, &user()), expect, "{text}");
        }
        assert!(parse_search("displayName:x").is_err());
        assert!(parse_search("\"displayName:x\" XOR \"mail:y\"").is_err());
    }

    #[test]
    fn skiptokens_round_trip_and_garbage_is_rejected() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(1998)).ok(), Some(1998));
        assert!(decode_skiptoken("not-a-token").is_err());
    }
}
