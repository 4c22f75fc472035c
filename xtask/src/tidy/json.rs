//! Just enough JSON to read `cargo metadata`: xtask stays std-only, and a full parser for one
//! trusted, well-formed document is about a hundred lines.

/// A JSON value. Numbers are kept as their text: `cargo metadata` fields we read are strings.
#[derive(Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of an array; nothing for anything else (so a missing list reads as empty).
    pub fn items(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            _ => &[],
        }
    }
}

pub fn parse(text: &str) -> Result<Json, String> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
    };
    let value = parser.value()?;
    parser.skip_whitespace();
    match parser.chars.get(parser.pos) {
        None => Ok(value),
        Some(c) => Err(format!(
            "JSON: unexpected {c:?} after the value at {}",
            parser.pos
        )),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn skip_whitespace(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn next(&mut self) -> Result<char, String> {
        let c = self
            .chars
            .get(self.pos)
            .copied()
            .ok_or("JSON: unexpected end")?;
        self.pos += 1;
        Ok(c)
    }

    fn expect_char(&mut self, wanted: char) -> Result<(), String> {
        self.skip_whitespace();
        match self.next()? {
            c if c == wanted => Ok(()),
            c => Err(format!(
                "JSON: expected {wanted:?}, found {c:?} at {}",
                self.pos - 1
            )),
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_whitespace();
        match self
            .chars
            .get(self.pos)
            .copied()
            .ok_or("JSON: unexpected end")?
        {
            '{' => self.object(),
            '[' => self.array(),
            '"' => self.string().map(Json::String),
            't' => self.word("true", Json::Bool(true)),
            'f' => self.word("false", Json::Bool(false)),
            'n' => self.word("null", Json::Null),
            _ => {
                let start = self.pos;
                while self
                    .chars
                    .get(self.pos)
                    .is_some_and(|c| c.is_ascii_digit() || "+-.eE".contains(*c))
                {
                    self.pos += 1;
                }
                if start == self.pos {
                    return Err(format!("JSON: unexpected character at {start}"));
                }
                Ok(Json::Number(self.chars[start..self.pos].iter().collect()))
            }
        }
    }

    fn word(&mut self, word: &str, value: Json) -> Result<Json, String> {
        for wanted in word.chars() {
            if self.next()? != wanted {
                return Err(format!("JSON: expected {word} at {}", self.pos - 1));
            }
        }
        Ok(value)
    }

    fn object(&mut self) -> Result<Json, String> {
        self.expect_char('{')?;
        let mut fields = Vec::new();
        self.skip_whitespace();
        if self.chars.get(self.pos) == Some(&'}') {
            self.pos += 1;
            return Ok(Json::Object(fields));
        }
        loop {
            self.skip_whitespace();
            let key = self.string()?;
            self.expect_char(':')?;
            fields.push((key, self.value()?));
            self.skip_whitespace();
            match self.next()? {
                ',' => continue,
                '}' => return Ok(Json::Object(fields)),
                c => return Err(format!("JSON: expected , or }} in object, found {c:?}")),
            }
        }
    }

    fn array(&mut self) -> Result<Json, String> {
        self.expect_char('[')?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.chars.get(self.pos) == Some(&']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.next()? {
                ',' => continue,
                ']' => return Ok(Json::Array(items)),
                c => return Err(format!("JSON: expected , or ] in array, found {c:?}")),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect_char('"')?;
        let mut out = String::new();
        loop {
            match self.next()? {
                '"' => return Ok(out),
                '\\' => match self.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' => out.push(self.unicode_escape()?),
                    c => out.push(c), // \" \\ \/
                },
                c => out.push(c),
            }
        }
    }

    /// `\uXXXX`, with a following low surrogate when it is a high one.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high)
            && self.chars.get(self.pos..self.pos + 2) == Some(&['\\', 'u'][..])
        {
            self.pos += 2;
            let low = self.hex4()?;
            let code = 0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF);
            return Ok(char::from_u32(code).unwrap_or('\u{FFFD}'));
        }
        Ok(char::from_u32(high).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits: String = (0..4).map(|_| self.next()).collect::<Result<_, _>>()?;
        u32::from_str_radix(&digits, 16).map_err(|_| format!("JSON: bad \\u escape {digits:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_cargo_metadata_prints() {
        let text = r#" {"packages": [{"name": "a\"b\u00e9\ud83d\ude00", "kind": null,
            "ok": true, "n": -1.5e3, "deps": []}], "empty": {}} "#;
        let json = parse(text).unwrap();
        let package = &json.get("packages").unwrap().items()[0];
        assert_eq!(package.get("name").and_then(Json::as_str), Some("a\"bé😀"));
        assert_eq!(package.get("kind"), Some(&Json::Null));
        assert_eq!(package.get("ok"), Some(&Json::Bool(true)));
        assert_eq!(package.get("n"), Some(&Json::Number("-1.5e3".into())));
        assert_eq!(package.get("deps").map(Json::items), Some(&[][..]));
        assert_eq!(json.get("empty"), Some(&Json::Object(vec![])));
    }

    #[test]
    fn rejects_malformed_documents() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"open", "1 2"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
