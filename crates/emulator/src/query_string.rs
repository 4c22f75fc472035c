//! URL query strings: decoded into ordered pairs and encoded back (for `@odata.nextLink`s and
//! redirects).

/// Decodes a query string (`+` is a space, percent-escapes are UTF-8).
pub fn parse_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    raw.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Encodes pairs back into a query string for `@odata.nextLink`.
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'$')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b',');
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, SET),
                percent_encoding::utf8_percent_encode(v, SET)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings() {
        let pairs = parse_pairs(Some(
            "$select=id,displayName&$filter=startswith(displayName,%27A%27)&$search=%22displayName:a+b%22",
        ));
        assert_eq!(pairs[0], ("$select".into(), "id,displayName".into()));
        assert_eq!(pairs[1].1, "startswith(displayName,'A')");
        assert_eq!(pairs[2].1, "\"displayName:a b\"");
        let round = parse_pairs(Some(&encode_pairs(&pairs)));
        assert_eq!(round, pairs);
    }
}
