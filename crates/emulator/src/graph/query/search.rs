//! `$search`: quoted `"property:term"` clauses joined by AND and OR, matched as Graph does.

use crate::directory::Properties;
use crate::graph::response::GraphError;
use serde_json::Value;

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
pub fn search_matches(groups: &[Vec<(String, String)>], object: &impl Properties) -> bool {
    groups.iter().any(|clauses| {
        clauses.iter().all(|(prop, term)| {
            let value = object.property(prop);
            let Some(value) = value.as_deref().and_then(Value::as_str) else {
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
}
