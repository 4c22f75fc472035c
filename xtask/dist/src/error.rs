//! What can go wrong while packaging, with the path or command it concerns.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed: {detail}")]
    Command { command: String, detail: String },
    #[error("tauri.conf.json: {0}")]
    Config(String),
    #[error("Tauri's bundler: {0}")]
    Bundler(#[from] tauri_bundler::Error),
}

impl DistError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
