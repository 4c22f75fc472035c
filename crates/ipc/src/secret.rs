//! A password on its one trip over IPC: from the frontend's dialog to the backend, which hashes
//! it. `Debug` never shows it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A password typed into the New user or User properties dialog.
///
/// It travels as a plain JSON string (the frontend must serialise it, the backend deserialise
/// it), but `Debug` prints `<redacted>` and there is no `Display` or `Clone`: the backend turns
/// it into its `SecretString` at once with [`Password::into_exposed`], and no command's output
/// contains one.
#[derive(Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The password itself, for the one place that hands it on (the backend's adapter).
    pub fn into_exposed(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl PartialEq for Password {
    fn eq(&self, other: &Self) -> bool {
        // Length, then every byte, so the time does not depend on where they first differ.
        self.0.len() == other.0.len()
            && self
                .0
                .bytes()
                .zip(other.0.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl Eq for Password {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn travels_as_a_plain_string_but_debug_never_shows_it() {
        let json = serde_json::to_string(&Password::new("Correct-Horse-9")).expect("json");
        assert_eq!(json, r#""Correct-Horse-9""#);
        let back: Password = serde_json::from_str(&json).expect("back");
        let printed = format!("{back:?} {:?}", Some(&back));
        assert!(!printed.contains("Correct-Horse-9"), "{printed}");
        assert!(printed.contains("<redacted>"), "{printed}");
        assert_eq!(back.into_exposed(), "Correct-Horse-9");
    }

    #[test]
    fn equality_compares_content() {
        assert_eq!(Password::new("abc"), Password::new("abc"));
        assert_ne!(Password::new("abc"), Password::new("abd"));
        assert_ne!(Password::new("abc"), Password::new("abcd"));
    }
}
