//! The Users area's view of all users: filter, sort and a window of rows, in memory.
//!
//! The app loads every row once ([`UserIndex::builder`], fed row by row from SQLite) and
//! answers each scroll, sort or filter from memory. The rows are packed: their text in two
//! arenas (as shown, and lower-cased for search) with a fixed-size record per row pointing
//! into them, so a million users take about 300 bytes each instead of the 700 their owned
//! strings took, and a filter scans one contiguous string instead of a million small ones. A
//! sorted permutation per column is computed once and reused. SQL `LIKE '%…%'` with `OFFSET`
//! would rescan on every scroll.

use crate::model::{AuthType, DirectoryDeletion, UserId, UserRow, UserType};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A column the Users area can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Account,
    Authentication,
    UserPrincipalName,
    State,
    FullName,
    Email,
    Department,
    LastSynchronized,
}

/// One request from the Users area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserQuery {
    /// Case-insensitive substring of account, UPN, full name, e-mail or department.
    pub filter: String,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

/// The answer: how many rows match, and the requested window of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    pub total: usize,
    pub offset: usize,
    pub rows: Vec<UserRow>,
}

/// What the State column shows.
pub fn state_label(row: &UserRow) -> &'static str {
    state(row.deleted_in_directory, row.enabled)
}

fn state(deleted: Option<DirectoryDeletion>, enabled: bool) -> &'static str {
    match (deleted, enabled) {
        (Some(DirectoryDeletion::SoftDeleted), _) => "Deleted in Azure AD (restorable)",
        (Some(DirectoryDeletion::HardDeleted), _) => "Deleted in Azure AD",
        (None, true) => "Enabled",
        (None, false) => "Disabled",
    }
}

/// Separates the fields of a row's search text: a query holding it matches nothing, so a
/// match never spans two fields or two rows.
const SEPARATOR: char = '\u{1f}';

/// A row's text fields, in the order they are packed; the first [`SEARCHED`] are also its
/// search text, lower-cased, in the same order.
const ACCOUNT: usize = 0;
const UPN: usize = 1;
const FULL_NAME: usize = 2;
const EMAIL: usize = 3;
const DEPARTMENT: usize = 4;
const LAST_SYNCHRONIZED: usize = 5;
const FIELDS: usize = 6;
const SEARCHED: usize = 5;

/// One packed row: its text is `lens[0]` bytes from `start` in the index's `text`, then
/// `lens[1]`, and so on — except the fields `lowered` marks, which are already lower-case
/// (most UPNs and e-mail addresses) and read from the search text instead of stored twice.
#[derive(Debug)]
struct Record {
    id: UserId,
    start: usize,
    lens: [u32; FIELDS],
    lowered: u8,
    auth_type: AuthType,
    enabled: bool,
    user_type: Option<UserType>,
    deleted_in_directory: Option<DirectoryDeletion>,
    has_upn: bool,
    has_last_synchronized: bool,
}

#[derive(Debug)]
pub struct UserIndex {
    records: Vec<Record>,
    /// Every row's text as shown, one row after another.
    text: String,
    /// Every row's search text (account, UPN, full name, e-mail, department), lower-cased,
    /// each field followed by [`SEPARATOR`]; row `i`'s runs from `starts[i]` to `starts[i + 1]`.
    haystack: String,
    starts: Vec<usize>,
    orders: Mutex<HashMap<SortKey, Arc<Vec<u32>>>>,
}

/// Packs rows one at a time, so the whole table is never held as owned rows.
#[derive(Debug)]
pub struct UserIndexBuilder {
    index: UserIndex,
}

impl UserIndexBuilder {
    pub fn push(&mut self, row: &UserRow) {
        let index = &mut self.index;
        let start = index.text.len();
        let (mut lens, mut lowered) = ([0u32; FIELDS], 0u8);
        let fields: [&str; FIELDS] = [
            &row.account_name,
            row.user_principal_name.as_deref().unwrap_or_default(),
            &row.full_name,
            &row.email,
            &row.department,
            row.last_synchronized_at.as_deref().unwrap_or_default(),
        ];
        for (n, value) in fields.into_iter().enumerate() {
            if n < SEARCHED {
                // As a query is lowered (`str::to_lowercase`: a final sigma differs by char).
                // A separator inside a value would split it: it is searched and sorted as
                // U+FFFD, and the value kept as it is.
                let mut folded = value.to_lowercase();
                if folded.contains(SEPARATOR) {
                    folded = folded.replace(SEPARATOR, "\u{fffd}");
                }
                index.haystack.push_str(&folded);
                index.haystack.push(SEPARATOR);
                if folded == value {
                    lowered |= 1 << n;
                    continue;
                }
            }
            index.text.push_str(value);
            // SQLite keeps no value longer than a billion bytes (SQLITE_MAX_LENGTH).
            lens[n] = u32::try_from(value.len()).unwrap_or(u32::MAX);
        }
        index.starts.push(index.haystack.len());
        index.records.push(Record {
            id: row.id,
            start,
            lens,
            lowered,
            auth_type: row.auth_type,
            enabled: row.enabled,
            user_type: row.user_type,
            deleted_in_directory: row.deleted_in_directory,
            has_upn: row.user_principal_name.is_some(),
            has_last_synchronized: row.last_synchronized_at.is_some(),
        });
    }

    pub fn finish(mut self) -> UserIndex {
        let index = &mut self.index;
        index.records.shrink_to_fit();
        index.text.shrink_to_fit();
        index.haystack.shrink_to_fit();
        index.starts.shrink_to_fit();
        self.index
    }
}

/// One packed row, read.
#[derive(Debug, Clone, Copy)]
struct Row<'a> {
    text: &'a str,
    /// This row's search text.
    searched: &'a str,
    record: &'a Record,
}

impl<'a> Row<'a> {
    fn field(self, n: usize) -> &'a str {
        if self.record.lowered & (1 << n) != 0 {
            return self.folded(n);
        }
        let lens = &self.record.lens;
        let from = self.record.start + lens[..n].iter().map(|l| *l as usize).sum::<usize>();
        (self.text.get(from..from + lens[n] as usize)).unwrap_or_default()
    }

    /// Searched field `n` as the search text has it (lower-cased).
    fn folded(self, n: usize) -> &'a str {
        self.searched.split(SEPARATOR).nth(n).unwrap_or_default()
    }

    fn upn(self) -> Option<&'a str> {
        self.record.has_upn.then(|| self.field(UPN))
    }

    fn last_synchronized(self) -> Option<&'a str> {
        (self.record.has_last_synchronized).then(|| self.field(LAST_SYNCHRONIZED))
    }

    fn state(self) -> &'static str {
        state(self.record.deleted_in_directory, self.record.enabled)
    }

    fn to_row(self) -> UserRow {
        let r = self.record;
        UserRow {
            id: r.id,
            account_name: self.field(ACCOUNT).to_owned(),
            auth_type: r.auth_type,
            enabled: r.enabled,
            full_name: self.field(FULL_NAME).to_owned(),
            email: self.field(EMAIL).to_owned(),
            department: self.field(DEPARTMENT).to_owned(),
            user_principal_name: self.upn().map(str::to_owned),
            user_type: r.user_type,
            deleted_in_directory: r.deleted_in_directory,
            last_synchronized_at: self.last_synchronized().map(str::to_owned),
        }
    }
}

impl UserIndex {
    /// An empty index to [`UserIndexBuilder::push`] rows into.
    pub fn builder() -> UserIndexBuilder {
        UserIndexBuilder {
            index: UserIndex {
                records: Vec::new(),
                text: String::new(),
                haystack: String::new(),
                starts: vec![0],
                orders: Mutex::new(HashMap::new()),
            },
        }
    }

    pub fn new(rows: Vec<UserRow>) -> Self {
        let mut builder = Self::builder();
        rows.iter().for_each(|row| builder.push(row));
        builder.finish()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The bytes the index holds on the heap, sort orders included (what the benchmark
    /// reports for a million users).
    pub fn heap_bytes(&self) -> usize {
        let orders = self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        self.records.capacity() * std::mem::size_of::<Record>()
            + self.text.capacity()
            + self.haystack.capacity()
            + self.starts.capacity() * std::mem::size_of::<usize>()
            + orders.values().map(|o| o.capacity() * 4).sum::<usize>()
    }

    fn row(&self, i: u32) -> Row<'_> {
        let i = i as usize;
        let searched = (self.starts.get(i).zip(self.starts.get(i + 1)))
            .and_then(|(from, to)| self.haystack.get(*from..*to))
            .unwrap_or_default();
        Row {
            text: &self.text,
            searched,
            record: &self.records[i],
        }
    }

    fn order(&self, key: SortKey) -> Arc<Vec<u32>> {
        let mut orders = self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(orders.entry(key).or_insert_with(|| {
            let n = u32::try_from(self.len()).unwrap_or(u32::MAX);
            // Sort on the lowered text the search text already holds (not lowering twice per
            // comparison: 100k rows, 200 ms → 30 ms), and on the keys themselves: a column with
            // few values (a department) compares the exact text of nearly every pair.
            let mut keyed: Vec<(&str, &str, u32)> = (0..n)
                .map(|i| {
                    let row = self.row(i);
                    (fold(key, row), exact(key, row), i)
                })
                .collect();
            keyed.sort_unstable_by(|(fa, ea, a), (fb, eb, b)| {
                let (ra, rb) = (self.row(*a), self.row(*b));
                (fa.cmp(fb))
                    .then_with(|| ea.cmp(eb))
                    .then_with(|| compare(key, ra, rb))
                    .then_with(|| ra.record.id.cmp(&rb.record.id))
            });
            Arc::new(keyed.into_iter().map(|(_, _, i)| i).collect())
        }))
    }

    /// Computes the order of the default sort now, so the first request does not pay for it.
    pub fn warm(&self) {
        let _ = self.order(SortKey::Account);
    }

    /// Which rows hold `needle` in their search text (`None`: every row): one scan of the
    /// whole search text, a row marked at its first match and the scan resumed after it.
    fn matching(&self, needle: &str) -> Option<Vec<bool>> {
        if needle.is_empty() {
            return None;
        }
        let mut hits = vec![false; self.len()];
        if needle.contains(SEPARATOR) {
            return Some(hits);
        }
        // `str::find` is a scalar search (1M users: the filter median 23 ms, 12 ms with memchr).
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let haystack = self.haystack.as_bytes();
        let (mut from, mut row) = (0, 0);
        while let Some(found) = haystack.get(from..).and_then(|rest| finder.find(rest)) {
            let at = from + found;
            // Matches come in order, so the row holding this one is found by walking on from
            // the last (a filter matching 900k rows: 20 binary-search steps each saved).
            while self.starts.get(row + 1).is_some_and(|&end| end <= at) {
                row += 1;
            }
            if let Some(hit) = hits.get_mut(row) {
                *hit = true;
            }
            row += 1;
            from = self.starts.get(row).copied().unwrap_or(usize::MAX);
        }
        Some(hits)
    }

    /// Filters, sorts and cuts out the window `offset..offset + limit`.
    pub fn query(&self, query: &UserQuery) -> UserPage {
        let order = self.order(query.sort);
        let hits = self.matching(&query.filter.trim().to_lowercase());
        let matches = |i: &u32| hits.as_ref().is_none_or(|h| h[*i as usize]);
        let mut total = 0;
        let mut rows = Vec::with_capacity(query.limit.min(1000));
        let mut take = |i: u32| {
            if total >= query.offset && rows.len() < query.limit {
                rows.push(self.row(i).to_row());
            }
            total += 1;
        };
        if query.descending {
            order
                .iter()
                .rev()
                .filter(|i| matches(i))
                .for_each(|i| take(*i));
        } else {
            order.iter().filter(|i| matches(i)).for_each(|i| take(*i));
        }
        UserPage {
            total,
            offset: query.offset.min(total),
            rows,
        }
    }
}

/// The case-folded text a column sorts by first, from the search text ("" for columns that
/// are not text).
fn fold(key: SortKey, row: Row<'_>) -> &str {
    match key {
        SortKey::Account => row.folded(ACCOUNT),
        SortKey::UserPrincipalName => row.folded(UPN),
        SortKey::FullName => row.folded(FULL_NAME),
        SortKey::Email => row.folded(EMAIL),
        SortKey::Department => row.folded(DEPARTMENT),
        SortKey::Authentication | SortKey::State | SortKey::LastSynchronized => "",
    }
}

/// The exact text a column sorts by after [`fold`]: case breaks the tie ("" for columns that
/// are not text).
fn exact(key: SortKey, row: Row<'_>) -> &str {
    match key {
        SortKey::Account => row.field(ACCOUNT),
        SortKey::UserPrincipalName => row.upn().unwrap_or_default(),
        SortKey::FullName => row.field(FULL_NAME),
        SortKey::Email => row.field(EMAIL),
        SortKey::Department => row.field(DEPARTMENT),
        SortKey::Authentication | SortKey::State | SortKey::LastSynchronized => "",
    }
}

/// The order of the columns that are not text (text columns are settled by [`fold`] and
/// [`exact`]).
fn compare(key: SortKey, a: Row<'_>, b: Row<'_>) -> Ordering {
    fn auth_rank(t: AuthType) -> u8 {
        match t {
            AuthType::Local => 0,
            AuthType::ActiveDirectory => 1,
            AuthType::AzureAd => 2,
        }
    }
    match key {
        SortKey::Authentication => {
            auth_rank(a.record.auth_type).cmp(&auth_rank(b.record.auth_type))
        }
        SortKey::State => a.state().cmp(b.state()),
        SortKey::LastSynchronized => a.last_synchronized().cmp(&b.last_synchronized()),
        SortKey::Account
        | SortKey::UserPrincipalName
        | SortKey::FullName
        | SortKey::Email
        | SortKey::Department => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserId;

    fn row(id: i64, account: &str, full: &str, dept: &str, azure: bool) -> UserRow {
        UserRow {
            id: UserId(id),
            account_name: account.into(),
            auth_type: if azure {
                AuthType::AzureAd
            } else {
                AuthType::Local
            },
            enabled: true,
            full_name: full.into(),
            email: String::new(),
            department: dept.into(),
            user_principal_name: azure.then(|| account.into()),
            user_type: None,
            deleted_in_directory: None,
            last_synchronized_at: azure.then(|| "2026-11-26T04:00:00Z".into()),
        }
    }

    fn index() -> UserIndex {
        UserIndex::new(vec![
            row(1, "carol", "Carol Díaz", "Sales", false),
            row(2, "Alice@contoso.com", "Alice Ng", "IT", true),
            row(3, "bob", "Bob Stone", "sales", false),
            row(4, "dave@contoso.com", "Dave Ünal", "Finance", true),
        ])
    }

    fn ids(page: &UserPage) -> Vec<i64> {
        page.rows.iter().map(|r| r.id.0).collect()
    }

    #[test]
    fn filter_sort_window_cases() {
        let index = index();
        let q = |filter: &str, sort, descending, offset, limit| UserQuery {
            filter: filter.into(),
            sort,
            descending,
            offset,
            limit,
        };
        let cases: Vec<(UserQuery, usize, Vec<i64>)> = vec![
            (q("", SortKey::Account, false, 0, 10), 4, vec![2, 3, 1, 4]),
            (q("", SortKey::Account, true, 0, 10), 4, vec![4, 1, 3, 2]),
            (q("SALES", SortKey::Account, false, 0, 10), 2, vec![3, 1]),
            (q("ünal", SortKey::Account, false, 0, 10), 1, vec![4]),
            (q("contoso", SortKey::FullName, false, 0, 10), 2, vec![2, 4]),
            (
                q("", SortKey::Authentication, false, 0, 10),
                4,
                vec![1, 3, 2, 4],
            ),
            (q("", SortKey::Account, false, 1, 2), 4, vec![3, 1]),
            // Case-insensitive first, then exact text: "Sales" before "sales".
            (
                q("", SortKey::Department, false, 0, 10),
                4,
                vec![4, 2, 1, 3],
            ),
            (q("", SortKey::Department, true, 0, 10), 4, vec![3, 1, 2, 4]),
            (q("", SortKey::Account, false, 10, 2), 4, vec![]),
            (q("nobody", SortKey::Account, false, 0, 10), 0, vec![]),
            // A match must not span two fields ("carol" + "carol díaz") or two rows.
            (q("carolcarol", SortKey::Account, false, 0, 10), 0, vec![]),
            (q("carol\u{1f}", SortKey::Account, false, 0, 10), 0, vec![]),
            (
                q("finance\u{1f}carol", SortKey::Account, false, 0, 10),
                0,
                vec![],
            ),
            // Matched in several fields, counted once.
            (q("o", SortKey::Account, false, 0, 10), 4, vec![2, 3, 1, 4]),
            (q("DÍAZ", SortKey::Account, false, 0, 10), 1, vec![1]),
        ];
        for (query, total, expect) in cases {
            let page = index.query(&query);
            assert_eq!((page.total, ids(&page)), (total, expect), "{query:?}");
        }
    }

    /// Packing keeps every field, an absent UPN apart from an empty one, and the flags.
    #[test]
    fn every_row_reads_back_as_it_went_in() {
        let mut rows = vec![
            row(1, "carol", "Carol Díaz", "Sales", false),
            row(2, "Alice@contoso.com", "Alice Ng", "IT", true),
            row(3, "", "", "", false),
        ];
        rows[0].user_principal_name = Some(String::new());
        rows[0].email = "carol@contoso.com".into();
        // Lower-case already (kept once, in the search text), mixed, and a separator inside.
        rows[2].email = "x\u{1f}y@contoso.com".into();
        rows[2].department = "ΣΟΦΟΣ".into();
        rows[1].enabled = false;
        rows[1].user_type = Some(UserType::Guest);
        rows[1].deleted_in_directory = Some(DirectoryDeletion::SoftDeleted);
        let index = UserIndex::new(rows.clone());
        let page = index.query(&UserQuery {
            filter: String::new(),
            sort: SortKey::LastSynchronized,
            descending: false,
            offset: 0,
            limit: 10,
        });
        let mut back = page.rows;
        back.sort_by_key(|r| r.id);
        assert_eq!(back, rows);
    }

    /// A value as search and sort see it (the separator shown as U+FFFD, as documented).
    fn plain_fold(s: &str) -> String {
        s.to_lowercase().replace('\u{1f}', "\u{fffd}")
    }

    fn plain_match(r: &UserRow, lowered: &str) -> bool {
        let searched = [
            r.account_name.as_str(),
            r.user_principal_name.as_deref().unwrap_or_default(),
            &r.full_name,
            &r.email,
            &r.department,
        ];
        !lowered.contains('\u{1f}') && searched.iter().any(|f| plain_fold(f).contains(lowered))
    }

    fn plain_order(key: SortKey, a: &UserRow, b: &UserRow) -> Ordering {
        let text = |r: &UserRow| match key {
            SortKey::Account => r.account_name.clone(),
            SortKey::UserPrincipalName => r.user_principal_name.clone().unwrap_or_default(),
            SortKey::FullName => r.full_name.clone(),
            SortKey::Email => r.email.clone(),
            SortKey::Department => r.department.clone(),
            SortKey::Authentication | SortKey::State | SortKey::LastSynchronized => String::new(),
        };
        let rank = |r: &UserRow| match r.auth_type {
            AuthType::Local => 0,
            AuthType::ActiveDirectory => 1,
            AuthType::AzureAd => 2,
        };
        let other = match key {
            SortKey::Authentication => rank(a).cmp(&rank(b)),
            SortKey::State => state_label(a).cmp(state_label(b)),
            SortKey::LastSynchronized => a.last_synchronized_at.cmp(&b.last_synchronized_at),
            _ => Ordering::Equal,
        };
        let (ta, tb) = (text(a), text(b));
        (plain_fold(&ta).cmp(&plain_fold(&tb)))
            .then_with(|| ta.cmp(&tb))
            .then(other)
            .then_with(|| a.id.cmp(&b.id))
    }

    /// The index against the rules written out plainly: a query matches a row when one of its
    /// five searched fields, lower-cased, contains it; rows sort case-insensitively, then by
    /// exact text, then by ID (non-text columns by their own order), descending reverses that.
    /// Generated rows mix cases, scripts whose lower case changes length or context (final
    /// sigma, dotted İ, ß), empty and absent values, and the field separator.
    #[test]
    fn queries_answer_as_the_plain_rules_say() {
        const WORDS: &[&str] = &[
            "Ada",
            "ÅSA",
            "Σοφός",
            "ΣΟΦΟΣ",
            "bob",
            "Bob",
            "İlker",
            "straße",
            "x\u{1f}y",
            "",
            "Smith",
            "smith@contoso.com",
            "SMITH@CONTOSO.COM",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut pick = || WORDS[next(WORDS.len())].to_owned();
        let rows: Vec<UserRow> = (1..=300)
            .map(|id| {
                let mut r = row(id, &pick(), &pick(), &pick(), id % 3 == 0);
                r.email = pick();
                r.user_principal_name = (id % 4 != 0).then(&mut pick);
                r.enabled = id % 5 != 0;
                r.deleted_in_directory = (id % 7 == 0).then_some(DirectoryDeletion::HardDeleted);
                r.last_synchronized_at =
                    (id % 2 == 0).then(|| format!("2026-11-{:02}", id % 28 + 1));
                r
            })
            .collect();
        let index = UserIndex::new(rows.clone());
        let keys = [
            SortKey::Account,
            SortKey::Authentication,
            SortKey::UserPrincipalName,
            SortKey::State,
            SortKey::FullName,
            SortKey::Email,
            SortKey::Department,
            SortKey::LastSynchronized,
        ];
        let needles = [
            "",
            "a",
            " A ",
            "smi",
            "SS",
            "ß",
            "ς",
            "σοφός",
            "i̇",
            "x\u{1f}",
            "\u{fffd}",
            "zz",
            "@contoso",
            "bob",
        ];
        for (needle, key) in needles
            .iter()
            .flat_map(|n| keys.iter().map(move |k| (*n, *k)))
        {
            for (descending, offset, limit) in [(false, 0, 400), (true, 0, 400), (false, 7, 5)] {
                let lowered = needle.trim().to_lowercase();
                let mut want: Vec<&UserRow> =
                    rows.iter().filter(|r| plain_match(r, &lowered)).collect();
                want.sort_by(|a, b| plain_order(key, a, b));
                if descending {
                    want.reverse();
                }
                let total = want.len();
                let want: Vec<i64> = want
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|r| r.id.0)
                    .collect();
                let query = UserQuery {
                    filter: needle.into(),
                    sort: key,
                    descending,
                    offset,
                    limit,
                };
                let page = index.query(&query);
                assert_eq!((page.total, ids(&page)), (total, want), "{query:?}");
            }
        }
    }
}
