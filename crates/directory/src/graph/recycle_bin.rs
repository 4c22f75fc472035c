//! Entra ID's recycle bin (`directory/deletedItems`): which users and groups were deleted and
//! when, for "Check deleted objects" (days left before the purge).

use super::client::{GraphClient, GraphError};
use super::collections::PAGE_SIZE;
use std::collections::HashMap;

impl GraphClient {
    /// Users in Entra ID's recycle bin: object ID → when they were deleted (seconds since
    /// the epoch). A complete read (every page) or an error.
    pub async fn recycle_bin_users(&self) -> Result<HashMap<String, i64>, GraphError> {
        self.recycle_bin("microsoft.graph.user").await
    }

    /// Groups in the recycle bin (Microsoft 365 groups; security groups are deleted for good).
    pub async fn recycle_bin_groups(&self) -> Result<HashMap<String, i64>, GraphError> {
        self.recycle_bin("microsoft.graph.group").await
    }

    async fn recycle_bin(&self, cast: &str) -> Result<HashMap<String, i64>, GraphError> {
        let mut out = HashMap::new();
        let url = self.url(&format!(
            "/directory/deletedItems/{cast}?$select=id,deletedDateTime&$top={PAGE_SIZE}"
        ));
        self.pages(url, false, |items| {
            for item in items {
                // An item without its ID or date is not left out: the user would then count
                // as deleted for good rather than restorable.
                let (Some(id), Some(at)) = (
                    item["id"].as_str(),
                    item["deletedDateTime"].as_str().and_then(parse_iso_seconds),
                ) else {
                    return Err(GraphError::unreadable(format!(
                        "Microsoft Graph described a deleted object unreadably ({item})"
                    )));
                };
                out.insert(id.to_owned(), at);
            }
            Ok(())
        })
        .await?;
        Ok(out)
    }
}

/// `2026-11-26T07:35:00Z` (fractions and offsets other than Z are tolerated: Graph sends UTC).
/// `None` for anything else, including fields out of their range (a year past 9999, a 13th
/// month), whose arithmetic could overflow.
pub fn parse_iso_seconds(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once('T')?;
    let mut d = date.split('-').map(number);
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+', '.']).next()?;
    let mut t = time.split(':').map(number);
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next().flatten().unwrap_or(0));
    let in_range = y <= 9999 && (1..=12).contains(&m) && (1..=31).contains(&day);
    if !in_range || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let yy = if m <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Digits only (no sign, at most 4 of them): every field of an ISO date fits.
fn number(part: &str) -> Option<i64> {
    let digits = !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| part.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(parse_iso_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso_seconds("1994-11-06T08:49:37Z"), Some(784_111_777));
        assert_eq!(
            parse_iso_seconds("1994-11-06T08:49:37.123Z"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_iso_seconds("2024-02-29T00:00:00Z"),
            Some(1_709_164_800)
        );
        assert_eq!(parse_iso_seconds("yesterday"), None);
        // Found by the property tests: an overflow panic (debug) or a wrapped number.
        assert_eq!(parse_iso_seconds("99999999999999999-01-01T00:00:00Z"), None);
        assert_eq!(parse_iso_seconds("2024-01-99999999999999999T00:00Z"), None);
        assert_eq!(parse_iso_seconds("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_iso_seconds("+2024-01-01T00:00:00Z"), None);
    }
}
