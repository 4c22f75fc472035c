//! Local users' passwords: a strength policy and argon2id hashing. No plaintext is stored.

use aadsync_keystore::SecretString;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::fmt;

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort { min: usize },
    TooFewKinds { min: usize },
    ContainsAccountName,
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordProblem::TooShort { min } => write!(f, "use at least {min} characters"),
            PasswordProblem::TooFewKinds { min } => write!(
                f,
                "mix at least {min} of lower-case letters, upper-case letters, digits and symbols"
            ),
            PasswordProblem::ContainsAccountName => f.write_str("do not include the account name"),
        }
    }
}

/// The rules a new local password must meet.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub min_chars: usize,
    pub min_kinds: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 12,
            min_kinds: 3,
        }
    }
}

impl PasswordPolicy {
    pub fn check(
        &self,
        password: &SecretString,
        account_name: &str,
    ) -> Result<(), PasswordProblem> {
        let text = password.expose();
        if text.chars().count() < self.min_chars {
            return Err(PasswordProblem::TooShort {
                min: self.min_chars,
            });
        }
        let kinds = [
            text.chars().any(char::is_lowercase),
            text.chars().any(char::is_uppercase),
            text.chars().any(|c| c.is_ascii_digit()),
            text.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|k| **k)
        .count();
        if kinds < self.min_kinds {
            return Err(PasswordProblem::TooFewKinds {
                min: self.min_kinds,
            });
        }
        let account = account_name.trim().to_lowercase();
        if account.chars().count() >= 3 && text.to_lowercase().contains(&account) {
            return Err(PasswordProblem::ContainsAccountName);
        }
        Ok(())
    }
}

/// An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
pub(crate) fn hash(password: &SecretString) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC string.
pub fn verify(password: &SecretString, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.expose().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_cases() {
        let policy = PasswordPolicy::default();
        let cases: &[(&str, &str, Result<(), PasswordProblem>)] = &[
            ("Correct-Horse-9", "alice", Ok(())),
            (
                "short1A!",
                "alice",
                Err(PasswordProblem::TooShort { min: 12 }),
            ),
            (
                "alllowercaseletters",
                "bob",
                Err(PasswordProblem::TooFewKinds { min: 3 }),
            ),
            (
                "ALICE-loves-99",
                "alice",
                Err(PasswordProblem::ContainsAccountName),
            ),
            ("Ünïcödé-Pässwörd", "carol", Ok(())),
        ];
        for (password, account, expect) in cases {
            assert_eq!(
                policy.check(&SecretString::new(*password), account),
                *expect,
                "{password}"
            );
        }
    }

    #[test]
    fn hashes_verify_and_are_salted() {
        let password = SecretString::new("Correct-Horse-9");
        let (a, b) = (hash(&password), hash(&password));
        let (Ok(a), Ok(b)) = (a, b) else {
            panic!("hashing failed")
        };
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "same salt twice");
        assert!(verify(&password, &a));
        assert!(!verify(&SecretString::new("wrong"), &a));
        assert!(!a.contains("Correct-Horse-9"));
    }
}
