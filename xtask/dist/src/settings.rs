//! The bundler's settings: names, icons and description from tauri.conf.json (the app's own
//! configuration), version, license, maintainer and homepage from the workspace's Cargo.toml,
//! and what each Linux package depends on.

use crate::error::DistError;
use crate::extras::{CLI, Extras};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tauri_bundler::{
    AppCategory, BundleBinary, BundleSettings, DebianSettings, PackageSettings, PackageType,
    RpmSettings, Settings, SettingsBuilder,
};

/// What the desktop binary links against (`objdump -p`: WebKitGTK 4.1, GTK 3, libsoup 3,
/// D-Bus for the keyring), as Debian names the runtime packages — never the `-dev` ones.
const DEB_DEPENDS: &[&str] = &[
    "libwebkit2gtk-4.1-0",
    "libgtk-3-0",
    "libsoup-3.0-0",
    "libdbus-1-3",
];
/// A Secret Service keeps the refresh tokens; without one the app still runs but asks for a
/// sign-in every time. `xdg-utils` opens the browser for the sign-in.
const DEB_RECOMMENDS: &[&str] = &["gnome-keyring", "xdg-utils"];
/// The same libraries under Fedora's package names.
const RPM_DEPENDS: &[&str] = &["webkit2gtk4.1", "gtk3", "libsoup3", "dbus-libs"];
const RPM_RECOMMENDS: &[&str] = &["gnome-keyring", "xdg-utils"];

/// The packages this system builds: AppImage is left out because the bundler downloads
/// linuxdeploy from GitHub for it; MSI because WiX comes from GitHub too (NSIS does as well,
/// but it installs per user without administrator rights, see ARCHITECTURE.md).
fn package_types(only: &[String]) -> Result<Vec<PackageType>, DistError> {
    if !only.is_empty() {
        return only
            .iter()
            .map(|name| {
                PackageType::from_short_name(name)
                    .ok_or_else(|| DistError::Config(format!("unknown package type {name:?}")))
            })
            .collect();
    }
    Ok(if cfg!(target_os = "macos") {
        vec![PackageType::MacOsBundle, PackageType::Dmg]
    } else if cfg!(windows) {
        vec![PackageType::Nsis]
    } else {
        vec![PackageType::Deb, PackageType::Rpm]
    })
}

pub fn build(
    root: &Path,
    bin_dir: &Path,
    extras: &Extras,
    only: &[String],
) -> Result<Settings, DistError> {
    let config_path = root.join("tauri.conf.json");
    let text = std::fs::read_to_string(&config_path).map_err(DistError::io(&config_path))?;
    let config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| DistError::Config(e.to_string()))?;
    let text_at = |pointer: &str| -> Result<String, DistError> {
        config
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| DistError::Config(format!("{pointer} is missing")))
    };
    let product = text_at("/productName")?;
    let main_binary = text_at("/mainBinaryName")?;
    let description = text_at("/bundle/shortDescription")?;
    let category = text_at("/bundle/category")?;
    let icons = config
        .pointer("/bundle/icon")
        .and_then(serde_json::Value::as_array)
        .map(|icons| {
            icons
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(|icon| root.join(icon).to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        })
        .ok_or_else(|| DistError::Config("/bundle/icon is missing".into()))?;
    let authors: Vec<String> = env!("CARGO_PKG_AUTHORS")
        .split(':')
        .map(str::to_owned)
        .collect();

    let bundle = BundleSettings {
        identifier: Some(text_at("/identifier")?),
        publisher: authors.first().cloned(),
        homepage: Some(env!("CARGO_PKG_REPOSITORY").to_owned()),
        icon: Some(icons),
        license: Some(env!("CARGO_PKG_LICENSE").to_owned()),
        category: Some(category.parse::<AppCategory>().map_err(|_| {
            DistError::Config(format!(
                "/bundle/category {category:?} is not a known category"
            ))
        })?),
        short_description: Some(description.clone()),
        long_description: Some(LONG_DESCRIPTION.to_owned()),
        deb: DebianSettings {
            depends: Some(owned(DEB_DEPENDS)),
            recommends: Some(owned(DEB_RECOMMENDS)),
            section: Some("admin".into()),
            files: files(extras, |e| e.deb),
            ..DebianSettings::default()
        },
        rpm: RpmSettings {
            depends: Some(owned(RPM_DEPENDS)),
            recommends: Some(owned(RPM_RECOMMENDS)),
            release: "1".into(),
            files: files(extras, |e| e.rpm),
            ..RpmSettings::default()
        },
        ..BundleSettings::default()
    };
    let package = PackageSettings {
        product_name: product,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description,
        homepage: Some(env!("CARGO_PKG_REPOSITORY").to_owned()),
        authors: Some(authors),
        default_run: Some(main_binary.clone()),
    };
    Ok(SettingsBuilder::new()
        .project_out_directory(bin_dir)
        .package_settings(package)
        .bundle_settings(bundle)
        .binaries(vec![
            BundleBinary::new(main_binary, true),
            BundleBinary::new(CLI.to_owned(), false),
        ])
        .package_types(package_types(only)?)
        .build()?)
}

/// Lines under 80 columns, as Debian's control files want them.
const LONG_DESCRIPTION: &str = "aadsync imports users and groups from Microsoft Entra ID (Azure AD)
through Microsoft Graph into a server's local SQLite user database, with a
preview of every change, an audit log and undo. The package holds the desktop
app and the `aadsync` command-line tool.";

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|&n| n.to_owned()).collect()
}

fn files(
    extras: &Extras,
    target: impl Fn(&crate::extras::Extra) -> Option<&'static str>,
) -> HashMap<PathBuf, PathBuf> {
    extras
        .files
        .iter()
        .filter_map(|extra| Some((PathBuf::from(target(extra)?), extra.source.clone())))
        .collect()
}
