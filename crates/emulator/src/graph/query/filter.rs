//! `$filter`: the expression subset Graph accepts on directory objects, parsed and evaluated.

use super::Kind;
use crate::directory::Properties;
use crate::graph::response::GraphError;
use serde_json::Value;
use std::borrow::Cow;

/// Properties Graph lets a `$filter` name on each kind of object.
pub(super) fn filterable(kind: Kind, prop: &str) -> bool {
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
    /// Whether the expression uses an operator Graph calls advanced (`ne`, `not`).
    pub(super) fn is_advanced(&self) -> bool {
        match self {
            Expr::Ne(..) | Expr::Not(_) => true,
            Expr::And(a, b) | Expr::Or(a, b) => a.is_advanced() || b.is_advanced(),
            _ => false,
        }
    }

    /// Every property the expression names.
    pub(super) fn properties(&self) -> Vec<&str> {
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

    /// Evaluates against an object. String comparisons ignore case, as Graph's do.
    pub fn matches(&self, object: &impl Properties) -> bool {
        let eq = |a: &Value, b: &Value| match (a, b) {
            (Value::String(a), Value::String(b)) => {
                a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
            }
            (a, b) => a == b,
        };
        let get = |p: &str| object.property(p).unwrap_or(Cow::Owned(Value::Null));
        match self {
            Expr::Eq(p, v) => eq(&get(p), v),
            Expr::Ne(p, v) => !eq(&get(p), v),
            Expr::StartsWith(p, prefix) => get(p)
                .as_str()
                .is_some_and(|s| s.to_lowercase().starts_with(&prefix.to_lowercase())),
            Expr::In(p, values) => {
                let have = get(p);
                values.iter().any(|v| eq(&have, v))
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
}
