//! The administrator's roles from `me/transitiveMemberOf` pages: exactly the directory roles'
//! template IDs of every page and the number listed without one, or an error (a page without
//! its list is no account without roles).

use super::collections::{Damage, damage, page_number};
use super::{changed, config, extras, stub, text};
use aadsync_directory::auth::admin::GraphRoles;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// A membership: a directory role with its template ID (or without one, as Graph's "limited
/// information" gives it), or a group or other object.
fn membership() -> impl Strategy<Value = (Value, Role)> {
    let kind = prop_oneof![
        4 => Just("#microsoft.graph.directoryRole"),
        1 => Just("#microsoft.graph.group"),
        1 => Just("#microsoft.graph.administrativeUnit"),
    ];
    let template = prop_oneof![
        4 => text().prop_map(|t| Some(Value::String(t))),
        1 => Just(Some(Value::Null)),
        1 => Just(None),
    ];
    (kind, template, super::object_id(), extras()).prop_map(|(kind, template, id, extras)| {
        let mut o = Map::new();
        o.insert("@odata.type".into(), json!(kind));
        o.insert("id".into(), json!(id));
        if let Some(t) = &template {
            o.insert("roleTemplateId".into(), t.clone());
        }
        for (k, v) in extras {
            o.insert(k, v);
        }
        let role = match (kind, template.as_ref().and_then(Value::as_str)) {
            ("#microsoft.graph.directoryRole", Some(t)) => Role::Template(t.to_owned()),
            ("#microsoft.graph.directoryRole", None) => Role::Limited,
            _ => Role::Other,
        };
        (Value::Object(o), role)
    })
}

/// What a membership counts as.
#[derive(Debug, Clone)]
enum Role {
    Template(String),
    /// A directory role with "limited information": no template ID.
    Limited,
    Other,
}

fn pages() -> impl Strategy<Value = Vec<Vec<(Value, Role)>>> {
    prop::collection::vec(prop::collection::vec(membership(), 0..5), 1..4)
}

fn page(items: &[(Value, Role)], n: usize, last: bool) -> Value {
    let mut page = json!({ "value": items.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>() });
    if !last {
        page["@odata.nextLink"] = json!(format!(
            "{}/v1.0/me/memberOf?$skiptoken={}",
            stub().base,
            n + 1
        ));
    }
    page
}

fn roles(pages: Vec<Vec<u8>>) -> Result<GraphRoles, aadsync_directory::auth::admin::AdminError> {
    let stub = stub();
    stub.answer(move |_, target, _| {
        (
            200,
            pages.get(page_number(target)).cloned().unwrap_or_default(),
        )
    });
    let root = url::Url::parse(&stub.base).expect("root");
    let http = stub.http();
    stub.run(async move {
        aadsync_directory::auth::admin::roles_from_graph(
            &http,
            &root,
            "secret-bearer",
            "admin@contoso.com",
        )
        .await
    })
}

/// The directory roles in `page` as serde_json reads it, if it is a page.
fn listed(page: &[u8]) -> Option<GraphRoles> {
    let value: Value = serde_json::from_slice(page).ok()?;
    let mut roles = GraphRoles::default();
    for item in value["value"].as_array()? {
        if item["@odata.type"] == "#microsoft.graph.directoryRole" {
            match item["roleTemplateId"].as_str() {
                Some(t) => roles.templates.push(t.to_owned()),
                None => roles.limited += 1,
            }
        }
    }
    Some(roles)
}

fn json_pages(pages: &[Vec<(Value, Role)>]) -> Vec<Value> {
    pages
        .iter()
        .enumerate()
        .map(|(n, p)| page(p, n, n + 1 == pages.len()))
        .collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn roles_are_every_directory_role_of_every_page(pages in pages()) {
        let mut expected = GraphRoles::default();
        for (_, role) in pages.iter().flatten() {
            match role {
                Role::Template(t) => expected.templates.push(t.clone()),
                Role::Limited => expected.limited += 1,
                Role::Other => {}
            }
        }
        let bytes = json_pages(&pages).iter().map(|p| p.to_string().into_bytes()).collect();
        prop_assert_eq!(roles(bytes).expect("every page"), expected);
    }

    #[test]
    fn a_cut_damaged_or_arbitrary_page_is_an_error(
        pages in pages(), damage in damage(), at in any::<usize>(), by in any::<u8>(),
        junk in any::<Vec<u8>>(),
    ) {
        let mut bytes: Vec<Vec<u8>> =
            json_pages(&pages).iter().map(|p| p.to_string().into_bytes()).collect();
        let n = at % bytes.len();
        // Damage to the list or the link (items need no ID here), then a cut.
        if matches!(damage, Damage::NoValue | Damage::ValueNot(_) | Damage::PageNot(_) | Damage::LinkNot(_)) {
            let value: Value = serde_json::from_slice(&bytes[n]).expect("valid");
            if let Some(damaged) = damage.apply(value, at) {
                let mut broken = bytes.clone();
                broken[n] = damaged.to_string().into_bytes();
                let read = roles(broken);
                prop_assert!(read.is_err(), "{:?}: {:?}", damage, read);
            }
        }
        let mut cut = bytes.clone();
        let len = cut[n].len();
        cut[n].truncate(at % len);
        prop_assert!(roles(cut).is_err());
        // A changed byte, or arbitrary bytes: whatever is read is exactly what serde_json
        // reads in the page.
        bytes[n] = changed(&bytes[n], at, by);
        for page in [bytes[n].clone(), junk] {
            if let Ok(read) = roles(vec![page.clone()]) {
                prop_assert_eq!(Some(read), listed(&page));
            }
        }
    }
}
