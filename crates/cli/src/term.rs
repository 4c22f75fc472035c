//! What reaches the admin's terminal. Display names, organization names and details come from
//! the directory, where anyone who may create a group chooses them: an escape sequence, BEL or
//! CR in one must not drive the terminal (retitle it, clear it, overwrite a line). Every line
//! the commands print goes through [`printable`] (the `say!`/`tell!` macros); JSON output is
//! unchanged by it, as serde_json already escapes control characters.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) except the line feed escaped as
/// `\u{1b}`, so it shows instead of acting.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() && c != '\n'
}

/// `println!` for the commands' output, through [`printable`].
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::term::printable(&format!($($arg)*)))
    };
}

/// `eprintln!` for messages, through [`printable`].
macro_rules! tell {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::term::printable(&format!($($arg)*)))
    };
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn control_characters_are_escaped_and_the_rest_is_kept() {
        let cases = [
            ("Ann Lee", "Ann Lee"),
            ("two\nlines", "two\nlines"),
            ("\u{1b}]0;pwned\u{7}", "\\u{1b}]0;pwned\\u{7}"),
            ("over\rwrite", "over\\u{d}write"),
            ("tab\there", "tab\\u{9}here"),
            ("csi\u{9b}2J del\u{7f}", "csi\\u{9b}2J del\\u{7f}"),
            ("Zoë “quoted” 日本", "Zoë “quoted” 日本"),
        ];
        for (text, expected) in cases {
            assert_eq!(printable(text), expected, "{text:?}");
        }
    }
}
