//! Collection pages (`users`, the recycle bin): `value`, `@odata.nextLink`, `@odata.count`.

use super::{changed, config, extra_value, extras, object_id, stub, text, with_duplicate};
use aadsync_directory::graph::{GraphError, RemoteUser};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// A property as Graph may send it: left out, `null`, or a value.
#[derive(Debug, Clone)]
pub enum Field<T> {
    Absent,
    Null,
    Set(T),
}

pub fn field<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Field<T>> {
    prop_oneof![
        1 => Just(Field::Absent),
        1 => Just(Field::Null),
        4 => value.prop_map(Field::Set),
    ]
}

impl<T: Clone + Into<Value>> Field<T> {
    pub fn put(&self, object: &mut Map<String, Value>, key: &str) {
        match self {
            Field::Absent => {}
            Field::Null => {
                object.insert(key.into(), Value::Null);
            }
            Field::Set(v) => {
                object.insert(key.into(), v.clone().into());
            }
        }
    }

    pub fn option(&self) -> Option<T> {
        match self {
            Field::Set(v) => Some(v.clone()),
            _ => None,
        }
    }
}

/// A user as Graph describes it, and the user aadsync must read from it (written out field
/// by field here, not through the code under test).
#[derive(Debug, Clone)]
pub struct GenUser {
    /// The JSON text, perhaps with a duplicate key before the real one.
    pub text: String,
    pub expected: RemoteUser,
}

pub fn user() -> impl Strategy<Value = GenUser> {
    let strings = prop::collection::vec(field(text()), 9);
    (
        object_id(),
        strings,
        field(prop::collection::vec(text(), 0..3)),
        field(any::<bool>()),
        field(any::<bool>()),
        extras(),
        prop::option::of(extra_value()),
    )
        .prop_map(|(id, s, phones, enabled, on_prem, extras, duplicate)| {
            let mut o = Map::new();
            o.insert("id".into(), Value::String(id.clone()));
            let names = [
                "userPrincipalName",
                "displayName",
                "givenName",
                "surname",
                "mail",
                "jobTitle",
                "department",
                "officeLocation",
                "mobilePhone",
            ];
            for (f, name) in s.iter().zip(names) {
                f.put(&mut o, name);
            }
            phones.put(&mut o, "businessPhones");
            enabled.put(&mut o, "accountEnabled");
            on_prem.put(&mut o, "onPremisesSyncEnabled");
            for (k, v) in extras {
                o.insert(k, v);
            }
            let expected = RemoteUser {
                id,
                user_principal_name: s[0].option(),
                display_name: s[1].option().unwrap_or_default(),
                given_name: s[2].option(),
                surname: s[3].option(),
                mail: s[4].option(),
                job_title: s[5].option(),
                department: s[6].option(),
                office_location: s[7].option(),
                mobile_phone: s[8].option(),
                business_phones: phones.option().unwrap_or_default(),
                user_type: None,
                account_enabled: enabled.option(),
                created_date_time: None,
                on_premises_sync_enabled: on_prem.option(),
            };
            let json = Value::Object(o);
            let text = with_duplicate(
                &json,
                duplicate.as_ref().map(|d| ("displayName", d.clone())),
            );
            GenUser { text, expected }
        })
}

/// A listing split into pages, each page's JSON text linking to the next on `base`.
#[derive(Debug, Clone)]
pub struct Listing {
    pub users: Vec<GenUser>,
    /// Where each page ends in `users`.
    pub cuts: Vec<usize>,
    pub count: Option<u64>,
}

pub fn listing() -> impl Strategy<Value = Listing> {
    (
        prop::collection::vec(user(), 0..12),
        prop::collection::vec(0usize..12, 0..3),
        prop_oneof![
            Just(None),
            Just(Some(u64::MAX)),
            any::<u64>().prop_map(Some),
            (0u64..4).prop_map(Some)
        ],
    )
        .prop_map(|(users, mut cuts, count)| {
            cuts.iter_mut().for_each(|c| *c = (*c).min(users.len()));
            cuts.sort_unstable();
            cuts.push(users.len());
            Listing { users, cuts, count }
        })
}

impl Listing {
    /// Page `n`'s JSON text.
    pub fn page(&self, n: usize, base: &str) -> String {
        let start = if n == 0 { 0 } else { self.cuts[n - 1] };
        let items: Vec<&str> = self.users[start..self.cuts[n]]
            .iter()
            .map(|u| u.text.as_str())
            .collect();
        let mut head = String::from("{");
        if let (0, Some(count)) = (n, self.count) {
            head.push_str(&format!("\"@odata.count\":{count},"));
        }
        if n + 1 < self.cuts.len() {
            head.push_str(&format!(
                "\"@odata.nextLink\":{},",
                json!(format!("{base}/v1.0/users?$skiptoken={}", n + 1))
            ));
        }
        format!("{head}\"value\":[{}]}}", items.join(","))
    }

    /// The pager's bound: more pages than the count allows is an error, not a listing.
    pub fn too_many_pages(&self) -> bool {
        self.count
            .is_some_and(|c| self.cuts.len() as u128 >= u128::from(c) + 2)
    }
}

/// Which page a request asks for: the first, or the one its `$skiptoken` names.
pub fn page_number(target: &str) -> usize {
    target
        .split("skiptoken=")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn list_users(pages: Vec<Vec<u8>>) -> Result<Vec<RemoteUser>, GraphError> {
    let stub = stub();
    stub.answer(move |_, target, _| {
        let page = pages.get(page_number(target)).cloned().unwrap_or_default();
        (200, page)
    });
    let client = stub.client();
    stub.run(async {
        let mut users = Vec::new();
        client.users(None, |page| users.extend(page)).await?;
        Ok(users)
    })
}

/// The items of a page as serde_json reads it (another parser than the client's), if it is
/// a page at all.
fn items_of(bytes: &[u8]) -> Option<Vec<Value>> {
    let page: Value = serde_json::from_slice(bytes).ok()?;
    page.get("value")?.as_array().cloned()
}

/// Ways to damage one page so that reading it whole is impossible.
#[derive(Debug, Clone)]
pub enum Damage {
    NoValue,
    ValueNot(Value),
    PageNot(Value),
    ItemWithoutId,
    IdNot(Value),
    ItemNot(Value),
    LinkNot(Value),
}

pub fn damage() -> impl Strategy<Value = Damage> {
    let not_array = extra_value().prop_filter("not a list", |v| !v.is_array());
    let not_object = extra_value().prop_filter("not an object", |v| !v.is_object());
    let not_string = extra_value().prop_filter("not a string", |v| !v.is_string() && !v.is_null());
    prop_oneof![
        Just(Damage::NoValue),
        not_array.clone().prop_map(Damage::ValueNot),
        not_object.clone().prop_map(Damage::PageNot),
        Just(Damage::ItemWithoutId),
        not_string.clone().prop_map(Damage::IdNot),
        not_object.prop_map(Damage::ItemNot),
        not_string.prop_map(Damage::LinkNot),
    ]
}

impl Damage {
    /// `page` damaged; `None` when this damage needs an item the page does not have.
    pub fn apply(&self, mut page: Value, at: usize) -> Option<Value> {
        let items = page["value"].as_array().map_or(0, Vec::len);
        let item = if items == 0 { None } else { Some(at % items) };
        match (self, item) {
            (Damage::NoValue, _) => {
                page.as_object_mut()?.remove("value");
            }
            (Damage::ValueNot(v), _) => page["value"] = v.clone(),
            (Damage::PageNot(v), _) => return Some(v.clone()),
            (Damage::ItemWithoutId, Some(i)) => {
                page["value"][i].as_object_mut()?.remove("id");
            }
            (Damage::IdNot(v), Some(i)) => page["value"][i]["id"] = v.clone(),
            (Damage::ItemNot(v), Some(i)) => page["value"][i] = v.clone(),
            (Damage::LinkNot(v), _) => page["@odata.nextLink"] = v.clone(),
            _ => return None,
        }
        Some(page)
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_are_a_whole_page_or_an_error(bytes in prop_oneof![
        any::<Vec<u8>>(),
        extra_value().prop_map(|v| v.to_string().into_bytes()),
    ]) {
        if let Ok(users) = list_users(vec![bytes.clone()]) {
            let items = items_of(&bytes).expect("a result only from a page");
            prop_assert_eq!(users.len(), items.len());
        }
    }

    #[test]
    fn valid_pages_read_exactly_the_users_they_hold(listing in listing()) {
        let base = &stub().base;
        let pages = (0..listing.cuts.len())
            .map(|n| listing.page(n, base).into_bytes())
            .collect();
        let read = list_users(pages);
        if listing.too_many_pages() {
            prop_assert!(read.is_err(), "{:?}", read);
        } else {
            let expected: Vec<RemoteUser> =
                listing.users.iter().map(|u| u.expected.clone()).collect();
            prop_assert_eq!(read.expect("a whole listing"), expected);
        }
    }

    #[test]
    fn a_cut_page_is_an_error(listing in listing(), cut in any::<usize>()) {
        let page = listing.page(0, &stub().base).into_bytes();
        let cut = cut % page.len();
        let read = list_users(vec![page[..cut].to_vec()]);
        prop_assert!(read.is_err(), "cut at {}: {:?}", cut, read);
    }

    #[test]
    fn a_changed_byte_gives_every_item_or_an_error(
        listing in listing(), at in any::<usize>(), by in any::<u8>(),
    ) {
        let original = listing.page(0, &stub().base);
        let page = changed(original.as_bytes(), at, by);
        if let Ok(users) = list_users(vec![page.clone()]) {
            // Every item the changed page lists, read in order: none left out.
            let read: Vec<Option<&str>> = users.iter().map(|u| Some(u.id.as_str())).collect();
            match items_of(&page) {
                Some(items) => {
                    let ids: Vec<Option<&str>> = items.iter().map(|i| i["id"].as_str()).collect();
                    prop_assert_eq!(read, ids);
                }
                // serde_json refuses a number beyond an f64 (`3E36029…`, a digit changed into
                // an exponent); the client passes over the numbers of properties it does not
                // read, as RFC 8259 allows. One changed byte that makes such a number changed
                // a digit of one, so the items are the listing's own.
                None => {
                    let refused = serde_json::from_slice::<Value>(&page)
                        .expect_err("a page without its list is no result");
                    prop_assert!(refused.to_string().contains("number out of range"), "{}", refused);
                    // Not in `@odata.count`, which the client reads (it bounds the pages).
                    let changed_at = at % original.len();
                    let count = original.find("\"@odata.count\":").map(|start| {
                        let digits = start + "\"@odata.count\":".len();
                        let end = original[digits..].find(',').map_or(original.len(), |e| digits + e);
                        digits..end
                    });
                    prop_assert!(
                        !count.is_some_and(|c| c.contains(&changed_at)),
                        "a count beyond an f64 was read as a page"
                    );
                    let ids: Vec<Option<&str>> = listing.users[..listing.cuts[0]]
                        .iter()
                        .map(|u| Some(u.expected.id.as_str()))
                        .collect();
                    prop_assert_eq!(read, ids);
                }
            }
        }
    }

    #[test]
    fn a_damaged_page_is_an_error(listing in listing(), damage in damage(), at in any::<usize>()) {
        let base = &stub().base;
        let mut pages: Vec<Vec<u8>> = (0..listing.cuts.len())
            .map(|n| listing.page(n, base).into_bytes())
            .collect();
        let n = at % pages.len();
        let page: Value = serde_json::from_slice(&pages[n]).expect("valid");
        let Some(damaged) = damage.apply(page, at) else {
            return Ok(());
        };
        pages[n] = damaged.to_string().into_bytes();
        let read = list_users(pages);
        prop_assert!(read.is_err(), "{:?}: {:?}", damage, read);
    }
}

/// Seconds since the epoch as Graph writes `deletedDateTime` (days to civil date: Howard
/// Hinnant's `civil_from_days`, the inverse of what the client computes).
fn iso(seconds: i64, fraction: Option<u32>) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let fraction = fraction.map(|f| format!(".{f:07}")).unwrap_or_default();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

fn recycle_bin(pages: Vec<Vec<u8>>) -> Result<HashMap<String, i64>, GraphError> {
    let stub = stub();
    stub.answer(move |_, target, _| {
        (
            200,
            pages.get(page_number(target)).cloned().unwrap_or_default(),
        )
    });
    let client = stub.client();
    stub.run(client.recycle_bin_users())
}

/// Deleted objects (distinct IDs, any date from 0000 to 9999) split over pages.
fn deleted() -> impl Strategy<Value = (Vec<(String, i64, Option<u32>)>, usize)> {
    (
        prop::collection::btree_map(
            object_id(),
            (
                -62_167_219_200i64..253_402_300_800,
                prop::option::of(0u32..10_000_000),
            ),
            0..8,
        ),
        0usize..8,
    )
        .prop_map(|(items, cut)| {
            let items: Vec<_> = items.into_iter().map(|(id, (s, f))| (id, s, f)).collect();
            let cut = cut.min(items.len());
            (items, cut)
        })
}

fn deleted_pages(items: &[(String, i64, Option<u32>)], cut: usize, base: &str) -> Vec<Value> {
    let item =
        |(id, s, f): &(String, i64, Option<u32>)| json!({"id": id, "deletedDateTime": iso(*s, *f)});
    vec![
        json!({
            "@odata.nextLink": format!("{base}/v1.0/directory/deletedItems/microsoft.graph.user?$skiptoken=1"),
            "value": items[..cut].iter().map(item).collect::<Vec<_>>(),
        }),
        json!({ "value": items[cut..].iter().map(item).collect::<Vec<_>>() }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_recycle_bin_reads_every_deletion_time((items, cut) in deleted()) {
        let pages = deleted_pages(&items, cut, &stub().base);
        let read = recycle_bin(pages.iter().map(|p| p.to_string().into_bytes()).collect());
        let expected: HashMap<String, i64> =
            items.into_iter().map(|(id, s, _)| (id, s)).collect();
        prop_assert_eq!(read.expect("the whole bin"), expected);
    }

    #[test]
    fn a_damaged_recycle_bin_is_an_error(
        (items, cut) in deleted(), damage in damage(), date in text(), at in any::<usize>(),
    ) {
        let mut pages = deleted_pages(&items, cut, &stub().base);
        let n = at % 2;
        // An unreadable date (text that is no ISO date) or any structural damage.
        let damaged = if at % 3 == 0 && !items.is_empty() {
            let mut page = pages[n].clone();
            let Some(first) = page["value"].as_array_mut().and_then(|v| v.first_mut()) else {
                return Ok(());
            };
            prop_assume!(aadsync_directory::graph::parse_iso_seconds(&date).is_none());
            first["deletedDateTime"] = Value::String(date);
            Some(page)
        } else {
            damage.apply(pages[n].clone(), at)
        };
        let Some(damaged) = damaged else {
            return Ok(());
        };
        pages[n] = damaged;
        let read = recycle_bin(pages.iter().map(|p| p.to_string().into_bytes()).collect());
        prop_assert!(read.is_err(), "{:?}", read);
    }

    #[test]
    fn iso_dates_read_back_exactly_and_nothing_else_panics(
        seconds in -62_167_219_200i64..253_402_300_800,
        fraction in prop::option::of(0u32..10_000_000),
        junk in any::<String>(),
        digits in "[0-9+-]{0,24}-[0-9+-]{0,24}-[0-9+-]{0,24}T[0-9:+.-]{0,30}Z?",
        fields in prop::array::uniform6(prop_oneof![0i64..100, 0i64..=i64::MAX]),
    ) {
        use aadsync_directory::graph::parse_iso_seconds;
        prop_assert_eq!(parse_iso_seconds(&iso(seconds, fraction)), Some(seconds));
        let _ = parse_iso_seconds(&junk);
        let _ = parse_iso_seconds(&digits);
        let [y, m, d, h, mi, s] = fields;
        let _ = parse_iso_seconds(&format!("{y}-{m}-{d}T{h}:{mi}:{s}Z"));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_pager_follows_only_links_under_the_root(
        link in prop_oneof![
            any::<String>(),
            "(https?|ftp)://(graph\\.example|evil\\.example|[a-z@:.]{0,12})(:[0-9]{1,5})?/[a-zA-Z0-9./%?=&$@:]{0,30}",
        ],
        count in prop::option::of(extra_value()),
    ) {
        use aadsync_directory::paging::Pager;
        let mut pager = Pager::new("https://graph.example", "https://graph.example/v1.0/users");
        let mut page = json!({ "value": [], "@odata.nextLink": link });
        if let Some(count) = count {
            page["@odata.count"] = count;
        }
        if let Ok(Some(next)) = pager.next(&page) {
            let url = url::Url::parse(&next.url).expect("a URL");
            prop_assert_eq!(url.scheme(), "https");
            prop_assert_eq!(url.host_str(), Some("graph.example"));
            prop_assert_eq!(url.port_or_known_default(), Some(443));
            prop_assert!(url.username().is_empty() && url.password().is_none());
            prop_assert!(url.path().starts_with("/v1.0/"), "{}", url);
            prop_assert_eq!(format!("https://graph.example/v1.0{}", next.relative), next.url);
        }
    }
}
