//! The line every job file carries so that `schedule list` can tell what it was asked for:
//! `aadsync-schedule: tenant=<ID> every=6h deleted=disable`, inside whatever the format
//! allows without inventing a setting (a `#` comment in a systemd unit, an XML comment in a
//! launchd property list, the documented `Documentation` element of a scheduled task).

use super::{Job, word};

const TAG: &str = "aadsync-schedule:";

/// The marker of `job`. Only characters that need no escaping in any of the three formats:
/// anything else in a tenant ID (never there in practice: it is a GUID) is left out.
pub fn line(job: &Job) -> String {
    let tenant: String = job
        .tenant_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .collect::<String>()
        .replace("--", "-");
    let deleted = job.deleted.map_or("none", word);
    format!(
        "{TAG} tenant={tenant} every={} deleted={deleted}",
        job.every
    )
}

/// (tenant, every, deleted action) from the first marker in `text`, wherever it stands.
pub fn read(text: &str) -> Option<(String, String, String)> {
    let start = text.find(TAG)? + TAG.len();
    let rest = &text[start..];
    let end = rest.find(['\n', '<']).unwrap_or(rest.len());
    let mut tenant = None;
    let mut every = None;
    let mut deleted = None;
    for pair in rest[..end].split_whitespace() {
        match pair.split_once('=') {
            Some(("tenant", v)) => tenant = Some(v.to_owned()),
            Some(("every", v)) => every = Some(v.to_owned()),
            Some(("deleted", v)) => deleted = Some(v.to_owned()),
            _ => {}
        }
    }
    Some((tenant?, every?, deleted?))
}
