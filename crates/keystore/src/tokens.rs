//! Refresh tokens in the OS keyring: one entry set per organization + account, chunked so that
//! every platform, including Windows Credential Manager, can hold a token of any size.
//!
//! Windows refuses credential blobs over 2,560 bytes (`CRED_MAX_CREDENTIAL_BLOB_SIZE`), and the
//! keyring crate stores passwords there as UTF-16, so one entry holds at most 1,280 UTF-16 units.
//! Entra refresh tokens are opaque and often longer than that. The same strategy is used on every
//! platform, so the code that runs on Windows is the code the Linux tests exercise:
//!
//! * a *manifest* entry, account `"{tenant}/{account}"`, holds `aadsync-token v1 gen=G parts=N
//!   len=L sha256=H` (no secret in it);
//! * the token is cut into parts of at most [`PART_UTF16_UNITS`] UTF-16 units, stored under
//!   `"{tenant}/{account}#G.i"`.
//!
//! Saving writes the new generation's parts first, then the manifest, then removes the old
//! generation: a crash at any point leaves either the old or the new token readable, never a mix.
//! Reading checks the length and SHA-256 of the reassembled token; a mismatch is reported as
//! [`TokenError::Damaged`], which the app treats like an expired token ("sign in again").

use crate::SecretString;
use crate::probe::{ProbeError, classify};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest part in UTF-16 code units: 2,400 bytes, under Windows' 2,560-byte blob limit.
pub const PART_UTF16_UNITS: usize = 1_200;

const MANIFEST_TAG: &str = "aadsync-token v1";

/// Which refresh token: an organization (tenant ID) and the signed-in account (object ID).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    tenant_id: String,
    account_id: String,
}

impl TokenKey {
    pub fn new(tenant_id: &str, account_id: &str) -> Self {
        Self {
            tenant_id: tenant_id.trim().to_ascii_lowercase(),
            account_id: account_id.trim().to_ascii_lowercase(),
        }
    }

    fn manifest(&self) -> String {
        format!("{}/{}", self.tenant_id, self.account_id)
    }

    fn part(&self, generation: &str, index: usize) -> String {
        format!("{}#{generation}.{index}", self.manifest())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error(transparent)]
    Keyring(#[from] ProbeError),
    #[error("the saved sign-in in the keyring is damaged ({0}); sign in again")]
    Damaged(String),
}

/// What a keyring can do, by account name under one service. The platform keyring is the only
/// implementation outside unit tests.
pub trait Backend: Send + Sync {
    fn set(&self, account: &str, value: &str) -> Result<(), ProbeError>;
    /// `Ok(None)` when there is no such entry.
    fn get(&self, account: &str) -> Result<Option<String>, ProbeError>;
    /// Removing an entry that does not exist is not an error.
    fn delete(&self, account: &str) -> Result<(), ProbeError>;
}

/// The platform keyring (Secret Service, Keychain, Credential Manager) under one service name.
#[derive(Debug, Clone)]
pub struct PlatformKeyring {
    service: String,
}

impl PlatformKeyring {
    pub fn new(service: &str) -> Self {
        Self {
            service: service.to_owned(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, ProbeError> {
        keyring::Entry::new(&self.service, account).map_err(classify)
    }
}

impl Backend for PlatformKeyring {
    fn set(&self, account: &str, value: &str) -> Result<(), ProbeError> {
        self.entry(account)?.set_password(value).map_err(classify)
    }

    fn get(&self, account: &str) -> Result<Option<String>, ProbeError> {
        match self.entry(account)?.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(classify(err)),
        }
    }

    fn delete(&self, account: &str) -> Result<(), ProbeError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(classify(err)),
        }
    }
}

/// Saves, loads and deletes refresh tokens. Each call blocks for at most the timeout, because a
/// locked keyring may wait on an unlock prompt.
#[derive(Clone)]
pub struct TokenStore {
    backend: Arc<dyn Backend>,
    timeout: Duration,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl TokenStore {
    /// The platform keyring under aadsync's service name.
    pub fn platform() -> Self {
        Self::with_backend(Arc::new(PlatformKeyring::new(crate::DEFAULT_SERVICE)))
    }

    pub fn with_backend(backend: Arc<dyn Backend>) -> Self {
        Self {
            backend,
            timeout: Duration::from_secs(10),
        }
    }

    pub fn save(&self, key: &TokenKey, token: &SecretString) -> Result<(), TokenError> {
        let key = key.clone();
        let token = SecretString::new(token.expose());
        self.run(move |backend| save(backend, &key, &token))
    }

    pub fn load(&self, key: &TokenKey) -> Result<Option<SecretString>, TokenError> {
        let key = key.clone();
        self.run(move |backend| load(backend, &key))
    }

    pub fn delete(&self, key: &TokenKey) -> Result<(), TokenError> {
        let key = key.clone();
        self.run(move |backend| delete(backend, &key))
    }

    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Backend) -> Result<T, TokenError> + Send + 'static,
    ) -> Result<T, TokenError> {
        let backend = Arc::clone(&self.backend);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("keyring-tokens".into())
            .spawn(move || {
                let _ = tx.send(work(backend.as_ref()));
            })
            .map_err(|e| ProbeError::Other {
                detail: format!("could not start the keyring thread: {e}"),
            })?;
        rx.recv_timeout(self.timeout)
            .unwrap_or(Err(TokenError::Keyring(ProbeError::TimedOut {
                seconds: self.timeout.as_secs(),
            })))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Manifest {
    generation: String,
    parts: usize,
    len: usize,
    sha256: String,
}

impl Manifest {
    fn format(&self) -> String {
        format!(
            "{MANIFEST_TAG} gen={} parts={} len={} sha256={}",
            self.generation, self.parts, self.len, self.sha256
        )
    }

    fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix(MANIFEST_TAG)?;
        let mut generation = None;
        let mut parts = None;
        let mut len = None;
        let mut sha256 = None;
        for field in rest.split_whitespace() {
            let (name, value) = field.split_once('=')?;
            match name {
                "gen" if value.chars().all(|c| c.is_ascii_hexdigit()) => {
                    generation = Some(value.to_owned())
                }
                "parts" => parts = value.parse().ok(),
                "len" => len = value.parse().ok(),
                "sha256" => sha256 = Some(value.to_owned()),
                _ => return None,
            }
        }
        Some(Self {
            generation: generation?,
            parts: parts.filter(|n| (1..=64).contains(n))?,
            len: len?,
            sha256: sha256?,
        })
    }
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Cuts `text` into pieces of at most `max_units` UTF-16 code units, on character boundaries.
pub fn split_utf16(text: &str, max_units: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut units = 0;
    for (at, c) in text.char_indices() {
        if units + c.len_utf16() > max_units {
            parts.push(&text[start..at]);
            start = at;
            units = 0;
        }
        units += c.len_utf16();
    }
    if start < text.len() || parts.is_empty() {
        parts.push(&text[start..]);
    }
    parts
}

fn generation() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}", nanos ^ (u128::from(std::process::id()) << 96))
}

fn current(backend: &dyn Backend, key: &TokenKey) -> Result<Option<Manifest>, TokenError> {
    match backend.get(&key.manifest())? {
        None => Ok(None),
        Some(text) => Manifest::parse(&text)
            .map(Some)
            .ok_or_else(|| TokenError::Damaged("unreadable manifest".into())),
    }
}

fn save(backend: &dyn Backend, key: &TokenKey, token: &SecretString) -> Result<(), TokenError> {
    // A damaged old manifest must not block saving a fresh token over it.
    let old = current(backend, key).unwrap_or(None);
    let mut generation = generation();
    if old.as_ref().is_some_and(|m| m.generation == generation) {
        generation.push('0');
    }
    let pieces = split_utf16(token.expose(), PART_UTF16_UNITS);
    for (index, piece) in pieces.iter().enumerate() {
        backend.set(&key.part(&generation, index), piece)?;
    }
    let manifest = Manifest {
        generation,
        parts: pieces.len(),
        len: token.len(),
        sha256: digest(token.expose()),
    };
    backend.set(&key.manifest(), &manifest.format())?;
    if let Some(old) = old {
        for index in 0..old.parts {
            // Leftovers are harmless (no manifest names them); the next save tries again.
            if let Err(err) = backend.delete(&key.part(&old.generation, index)) {
                tracing::warn!(error = %err, "could not remove an old token part");
            }
        }
    }
    Ok(())
}

fn load(backend: &dyn Backend, key: &TokenKey) -> Result<Option<SecretString>, TokenError> {
    let Some(manifest) = current(backend, key)? else {
        return Ok(None);
    };
    let mut token = String::with_capacity(manifest.len);
    for index in 0..manifest.parts {
        match backend.get(&key.part(&manifest.generation, index))? {
            Some(piece) => token.push_str(&piece),
            None => return Err(TokenError::Damaged(format!("part {index} is missing"))),
        }
    }
    let token = SecretString::new(token);
    if token.len() != manifest.len || digest(token.expose()) != manifest.sha256 {
        return Err(TokenError::Damaged("the parts do not match".into()));
    }
    Ok(Some(token))
}

fn delete(backend: &dyn Backend, key: &TokenKey) -> Result<(), TokenError> {
    if let Ok(Some(manifest)) = current(backend, key) {
        for index in 0..manifest.parts {
            backend.delete(&key.part(&manifest.generation, index))?;
        }
    }
    backend.delete(&key.manifest())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// Holds entries in memory and refuses what Windows Credential Manager would refuse.
    #[derive(Default)]
    struct WindowsLike {
        entries: Mutex<BTreeMap<String, String>>,
        fail_sets_after: Mutex<Option<usize>>,
    }

    impl Backend for WindowsLike {
        fn set(&self, account: &str, value: &str) -> Result<(), ProbeError> {
            if value.encode_utf16().count() * 2 > 2560 {
                return Err(ProbeError::Other {
                    detail: "Attribute 'password' is longer than platform limit of 2560 chars"
                        .into(),
                });
            }
            let mut budget = self.fail_sets_after.lock().expect("lock");
            if let Some(left) = budget.as_mut() {
                if *left == 0 {
                    return Err(ProbeError::Locked);
                }
                *left -= 1;
            }
            self.entries
                .lock()
                .expect("lock")
                .insert(account.into(), value.into());
            Ok(())
        }
        fn get(&self, account: &str) -> Result<Option<String>, ProbeError> {
            Ok(self.entries.lock().expect("lock").get(account).cloned())
        }
        fn delete(&self, account: &str) -> Result<(), ProbeError> {
            self.entries.lock().expect("lock").remove(account);
            Ok(())
        }
    }

    fn token(len: usize, seed: char) -> SecretString {
        SecretString::new(
            std::iter::repeat_n(seed, len)
                .enumerate()
                .map(|(i, c)| if i % 7 == 0 { '-' } else { c })
                .collect::<String>(),
        )
    }

    #[test]
    fn split_respects_utf16_units_and_characters() {
        assert_eq!(split_utf16("", 3), vec![""]);
        assert_eq!(split_utf16("abcdefg", 3), vec!["abc", "def", "g"]);
        // '𝄞' is two UTF-16 units: it never straddles a part.
        assert_eq!(split_utf16("a𝄞b𝄞", 3), vec!["a𝄞", "b𝄞"]);
        assert_eq!(split_utf16("𝄞𝄞", 3), vec!["𝄞", "𝄞"]);
    }

    #[test]
    fn a_6_kb_token_round_trips_in_parts_windows_accepts() {
        let backend = Arc::new(WindowsLike::default());
        let store = TokenStore::with_backend(backend.clone());
        let key = TokenKey::new("T-1", "A-1");
        let big = token(6 * 1024, 'x');
        // The whole token in one entry is what Windows refuses.
        assert!(backend.set("probe", big.expose()).is_err());
        store.save(&key, &big).expect("save");
        assert_eq!(store.load(&key).expect("load"), Some(big));
        let entries = backend.entries.lock().expect("lock").clone();
        assert_eq!(entries.len(), 1 + 6, "{:?}", entries.keys());
        assert!(entries.keys().all(|k| k.starts_with("t-1/a-1")));
        let manifest = &entries["t-1/a-1"];
        assert!(!manifest.contains("x-"), "no secret in the manifest");
    }

    #[test]
    fn rotation_replaces_the_token_and_removes_old_parts() {
        let backend = Arc::new(WindowsLike::default());
        let store = TokenStore::with_backend(backend.clone());
        let key = TokenKey::new("t", "a");
        store.save(&key, &token(3000, 'a')).expect("first");
        store.save(&key, &token(1500, 'b')).expect("rotated");
        assert_eq!(store.load(&key).expect("load"), Some(token(1500, 'b')));
        assert_eq!(backend.entries.lock().expect("lock").len(), 1 + 2);
        // Another account of the same tenant is another entry set.
        let other = TokenKey::new("t", "b");
        assert_eq!(store.load(&other).expect("load"), None);
        store.delete(&key).expect("delete");
        assert!(backend.entries.lock().expect("lock").is_empty());
        store.delete(&key).expect("deleting twice is fine");
    }

    #[test]
    fn a_failed_save_keeps_the_previous_token() {
        let backend = Arc::new(WindowsLike::default());
        let store = TokenStore::with_backend(backend.clone());
        let key = TokenKey::new("t", "a");
        store.save(&key, &token(3000, 'a')).expect("first");
        // The keyring fails after one of the new parts is written.
        *backend.fail_sets_after.lock().expect("lock") = Some(1);
        assert!(store.save(&key, &token(3000, 'b')).is_err());
        *backend.fail_sets_after.lock().expect("lock") = None;
        assert_eq!(store.load(&key).expect("load"), Some(token(3000, 'a')));
    }

    #[test]
    fn damage_is_reported_not_returned() {
        let backend = Arc::new(WindowsLike::default());
        let store = TokenStore::with_backend(backend.clone());
        let key = TokenKey::new("t", "a");
        store.save(&key, &token(3000, 'a')).expect("save");
        let part = backend
            .entries
            .lock()
            .expect("lock")
            .keys()
            .find(|k| k.ends_with(".1"))
            .cloned()
            .expect("part 1");
        backend.set(&part, "tampered").expect("set");
        assert!(matches!(store.load(&key), Err(TokenError::Damaged(_))));
        backend.delete(&part).expect("delete");
        assert!(matches!(store.load(&key), Err(TokenError::Damaged(_))));
        backend.set("t/a", "garbage").expect("set");
        assert!(matches!(store.load(&key), Err(TokenError::Damaged(_))));
        // Saving over damage works.
        store.save(&key, &token(10, 'c')).expect("save");
        assert_eq!(store.load(&key).expect("load"), Some(token(10, 'c')));
    }

    #[test]
    fn manifest_parsing() {
        let m = Manifest {
            generation: "1f".into(),
            parts: 3,
            len: 10,
            sha256: "ab".into(),
        };
        assert_eq!(Manifest::parse(&m.format()), Some(m));
        for bad in [
            "",
            "aadsync-token v1 gen=zz parts=1 len=1 sha256=a",
            "aadsync-token v1 gen=1 parts=0 len=1 sha256=a",
            "aadsync-token v1 gen=1 parts=1 len=1",
            "aadsync-token v2 gen=1 parts=1 len=1 sha256=a",
        ] {
            assert_eq!(Manifest::parse(bad), None, "{bad}");
        }
    }
}
