//! Delta pages: changed and `@removed` objects, `members@delta`, `@odata.nextLink` and the
//! `@odata.deltaLink` that ends a round. A round either holds every change up to its new
//! link or fails: a new link with fewer changes would skip the rest for good.

use super::collections::{Field, GenUser, damage, field, page_number, user};
use super::{changed, config, extras, stub, text};
use aadsync_directory::graph::delta::DeltaAnswer;
use aadsync_directory::graph::{GraphError, GroupChange, RemoteGroup, RemoteUser, RemovedObject};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// One item of a delta page: a changed object (as JSON, and what must be read from it) or a
/// removal.
#[derive(Debug, Clone)]
enum Item<T> {
    Changed(Value, T),
    Removed(String, String),
}

fn removal() -> impl Strategy<Value = (String, String)> {
    (
        super::object_id(),
        prop_oneof![
            Just("changed".to_owned()),
            Just("deleted".to_owned()),
            text()
        ],
    )
}

fn user_item() -> impl Strategy<Value = Item<RemoteUser>> {
    prop_oneof![
        3 => user().prop_map(|u: GenUser| Item::Changed(serde_json::from_str(&u.text).expect("valid"), u.expected)),
        1 => removal().prop_map(|(id, reason)| Item::Removed(id, reason)),
    ]
}

/// A round: items over pages (`cuts` end each page).
#[derive(Debug, Clone)]
struct Round<T> {
    items: Vec<Item<T>>,
    cuts: Vec<usize>,
}

fn round<T: std::fmt::Debug + Clone>(
    item: impl Strategy<Value = Item<T>>,
) -> impl Strategy<Value = Round<T>> {
    (
        prop::collection::vec(item, 0..10),
        prop::collection::vec(0usize..10, 0..3),
    )
        .prop_map(|(items, mut cuts)| {
            cuts.iter_mut().for_each(|c| *c = (*c).min(items.len()));
            cuts.sort_unstable();
            cuts.push(items.len());
            Round { items, cuts }
        })
}

impl<T: Clone> Round<T> {
    fn page(&self, n: usize, base: &str, collection: &str) -> Value {
        let start = if n == 0 { 0 } else { self.cuts[n - 1] };
        let items: Vec<Value> = self.items[start..self.cuts[n]]
            .iter()
            .map(|item| match item {
                Item::Changed(json, _) => json.clone(),
                Item::Removed(id, reason) => json!({"id": id, "@removed": {"reason": reason}}),
            })
            .collect();
        let mut page = json!({ "value": items });
        let (key, query) = if n + 1 < self.cuts.len() {
            ("@odata.nextLink", format!("$skiptoken={}", n + 1))
        } else {
            ("@odata.deltaLink", "$deltatoken=next".to_owned())
        };
        page[key] = json!(format!("{base}/v1.0/{collection}/delta?{query}"));
        page
    }

    fn pages(&self, base: &str, collection: &str) -> Vec<Value> {
        (0..self.cuts.len())
            .map(|n| self.page(n, base, collection))
            .collect()
    }

    /// The objects whose last item in the round removes them, in the order of those items:
    /// Graph may repeat an object, and its last copy is its state.
    fn removed(&self) -> Vec<RemovedObject> {
        let mut removed: Vec<RemovedObject> = Vec::new();
        for item in &self.items {
            let id = match item {
                Item::Removed(id, _) => id.clone(),
                Item::Changed(value, _) => value["id"].as_str().unwrap_or_default().to_owned(),
            };
            removed.retain(|r| r.id != id);
            if let Item::Removed(_, reason) = item {
                removed.push(RemovedObject {
                    id,
                    permanently: reason != "changed",
                });
            }
        }
        removed
    }

    /// The objects whose last item in the round changes them, by ID, each as that copy says.
    fn changed(&self) -> Vec<T> {
        let mut last: std::collections::BTreeMap<String, Option<T>> = Default::default();
        for item in &self.items {
            match item {
                Item::Removed(id, _) => last.insert(id.clone(), None),
                Item::Changed(value, t) => last.insert(
                    value["id"].as_str().unwrap_or_default().to_owned(),
                    Some(t.clone()),
                ),
            };
        }
        last.into_values().flatten().collect()
    }
}

fn serve(pages: Vec<Vec<u8>>) {
    stub().answer(move |_, target, _| {
        (
            200,
            pages.get(page_number(target)).cloned().unwrap_or_default(),
        )
    });
}

fn user_round(pages: Vec<Vec<u8>>) -> Result<DeltaAnswer<RemoteUser>, GraphError> {
    serve(pages);
    let client = stub().client();
    stub().run(client.user_changes("/users/delta?$deltatoken=start", |_| true))
}

fn bytes(pages: &[Value]) -> Vec<Vec<u8>> {
    pages.iter().map(|p| p.to_string().into_bytes()).collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_user_round_reads_every_change_and_the_new_link(round in round(user_item())) {
        let pages = round.pages(&stub().base, "users");
        let read = user_round(bytes(&pages)).expect("read").expect("not stale");
        prop_assert_eq!(read.changed, round.changed());
        prop_assert_eq!(read.removed, round.removed());
        prop_assert_eq!(read.next_link, "/users/delta?$deltatoken=next");
    }

    #[test]
    fn a_damaged_or_linkless_user_round_is_an_error(
        round in round(user_item()), damage in damage(), at in any::<usize>(),
    ) {
        let mut pages = round.pages(&stub().base, "users");
        let n = at % pages.len();
        if at % 4 == 0 {
            // The last page without its deltaLink, or with one elsewhere.
            let last = pages.last_mut().expect("a page");
            if at % 8 == 0 {
                last.as_object_mut().expect("object").remove("@odata.deltaLink");
            } else {
                last["@odata.deltaLink"] = json!("https://elsewhere.example/v1.0/users/delta?$deltatoken=x");
            }
        } else {
            let Some(damaged) = damage.apply(pages[n].clone(), at) else {
                return Ok(());
            };
            pages[n] = damaged;
        }
        let read = user_round(bytes(&pages));
        prop_assert!(read.is_err(), "{:?}: {:?}", damage, read.map(|r| r.map(|r| r.next_link)));
    }

    #[test]
    fn a_cut_delta_page_is_an_error(round in round(user_item()), cut in any::<usize>()) {
        let mut pages = bytes(&round.pages(&stub().base, "users"));
        let n = cut % pages.len();
        let cut = cut % pages[n].len();
        pages[n].truncate(cut);
        let read = user_round(pages);
        prop_assert!(read.is_err(), "{:?}", read.map(|r| r.map(|r| r.next_link)));
    }

    #[test]
    fn a_changed_byte_keeps_every_item_or_fails(
        round in round(user_item()), at in any::<usize>(), by in any::<u8>(),
    ) {
        let mut page = round.page(round.cuts.len() - 1, &stub().base, "users");
        // One page: the last, alone.
        if let Some(o) = page.as_object_mut() {
            o.remove("@odata.nextLink");
        }
        let text = changed(page.to_string().as_bytes(), at, by);
        if let Ok(Ok(read)) = user_round(vec![text.clone()]) {
            let page: Value = serde_json::from_slice(&text).expect("a result only from JSON");
            let items = page["value"].as_array().expect("a result only from a list");
            let ids: std::collections::HashSet<&str> =
                items.iter().filter_map(|i| i["id"].as_str()).collect();
            if ids.len() == items.len() {
                prop_assert_eq!(read.changed.len() + read.removed.len(), items.len());
            } else {
                // The changed byte made two IDs one: Graph may repeat an object in a round,
                // and a removal is kept once (the last copy wins).
                prop_assert!(read.changed.len() + read.removed.len() <= items.len());
            }
            let read_ids = read.changed.iter().map(|u| u.id.as_str()).chain(read.removed.iter().map(|r| r.id.as_str()));
            for id in read_ids {
                prop_assert!(ids.contains(id), "{id:?} is not an item of the page");
            }
            let link = page["@odata.deltaLink"].as_str().expect("a result only with a link");
            prop_assert_eq!(format!("{}/v1.0{}", stub().base, read.next_link), link);
        }
    }

    #[test]
    fn any_bytes_are_a_round_or_an_error(bytes in any::<Vec<u8>>()) {
        let read = user_round(vec![bytes]);
        prop_assert!(!matches!(read, Ok(Ok(_))), "{:?}", read.map(|r| r.map(|r| r.next_link)));
    }
}

/// A group item: its attributes (when present) and its `members@delta` entries.
fn group_item() -> impl Strategy<Value = Item<(Option<RemoteGroup>, GroupChange)>> {
    let member = (
        prop_oneof![
            Just(Some("#microsoft.graph.user")),
            Just(None),
            Just(Some("#microsoft.graph.group"))
        ],
        any::<bool>(),
    );
    let changed = (
        "[0-9a-f]{8}",
        field(text()),
        field(text()),
        field(any::<bool>()),
        prop::collection::btree_map(super::object_id(), member, 0..5),
        extras(),
    )
        .prop_map(|(id, name, description, security, members, extras)| {
            let mut o = Map::new();
            o.insert("id".into(), json!(id));
            for (k, v) in extras {
                o.insert(k, v);
            }
            let mut change = GroupChange::default();
            let mut entries = Vec::new();
            for (member_id, (kind, removed)) in members {
                let mut entry = json!({ "id": member_id });
                if let Some(kind) = kind {
                    entry["@odata.type"] = json!(kind);
                }
                if removed {
                    entry["@removed"] = json!({ "reason": "deleted" });
                }
                entries.push(entry);
                if kind != Some("#microsoft.graph.group") {
                    let list = if removed {
                        &mut change.removed
                    } else {
                        &mut change.added
                    };
                    list.push(member_id);
                }
            }
            o.insert("members@delta".into(), Value::Array(entries));
            name.put(&mut o, "displayName");
            description.put(&mut o, "description");
            security.put(&mut o, "securityEnabled");
            // Attributes only from an item that has a display name (null counts).
            let group = (!matches!(name, Field::Absent)).then(|| RemoteGroup {
                id: id.clone(),
                display_name: name.option().unwrap_or_default(),
                description: description.option(),
                mail: None,
                mail_enabled: false,
                security_enabled: security.option().unwrap_or_default(),
                group_types: Vec::new(),
                on_premises_sync_enabled: None,
            });
            (id, Value::Object(o), group, change)
        });
    prop_oneof![
        3 => changed.prop_map(|(_, json, group, change)| Item::Changed(json, (group, change))),
        1 => removal().prop_map(|(id, reason)| Item::Removed(id, reason)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_group_round_reads_every_member_change(round in round(group_item())) {
        // One item per group: distinct IDs (a group split over items is a table test's).
        let mut ids = std::collections::HashSet::new();
        let unique = round.items.iter().all(|i| match i {
            Item::Changed(json, _) => ids.insert(json["id"].as_str().unwrap_or_default().to_owned()),
            Item::Removed(..) => true,
        });
        prop_assume!(unique);
        serve(bytes(&round.pages(&stub().base, "groups")));
        let client = stub().client();
        let read = stub()
            .run(client.group_changes("/groups/delta?$deltatoken=start", |_| true))
            .expect("read")
            .expect("not stale");
        let mut changed: Vec<(String, GroupChange)> = round
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Changed(json, (group, change)) => Some((
                    json["id"].as_str().unwrap_or_default().to_owned(),
                    GroupChange { group: group.clone(), ..change.clone() },
                )),
                Item::Removed(..) => None,
            })
            .collect();
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        prop_assert_eq!(read.changed, changed);
        prop_assert_eq!(read.removed, round.removed());
        prop_assert_eq!(read.next_link, "/groups/delta?$deltatoken=next");
    }
}
