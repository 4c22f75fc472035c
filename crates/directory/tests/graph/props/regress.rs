//! The inputs the property tests found, as plain cases: each panicked or gave a partial
//! result before its fix, and must be an error now.

use super::stub;
use aadsync_directory::graph::GraphError;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Serves `pages` (the first, then `$skiptoken=N`) as they are, whatever is asked.
fn serve(pages: Vec<String>) {
    stub().answer(move |_, target, _| {
        let n = super::collections::page_number(target);
        (200, pages.get(n).cloned().unwrap_or_default().into_bytes())
    });
}

fn users(pages: &[&str]) -> Result<usize, GraphError> {
    serve(pages.iter().map(|p| (*p).to_owned()).collect());
    let client = stub().client();
    stub().run(async {
        let mut n = 0;
        client.users(None, |page| n += page.len()).await?;
        Ok(n)
    })
}

#[test]
fn listings_refuse_what_they_used_to_panic_on_or_cut_short() {
    let next = format!(
        r#""@odata.nextLink":"{}/v1.0/users?$skiptoken=1""#,
        stub().base
    );
    let cases: &[(&str, Vec<String>)] = &[
        ("a page that is a list (panicked)", vec!["[]".into()]),
        ("a page that is a number (panicked)", vec!["1".into()]),
        ("a page without value (read as empty)", vec!["{}".into()]),
        (
            "a second page without value",
            vec![format!(r#"{{{next},"value":[{{"id":"a"}}]}}"#), "{}".into()],
        ),
        (
            "value null (read as empty)",
            vec![r#"{"value":null}"#.into()],
        ),
        (
            "an item without id (skipped)",
            vec![r#"{"value":[{"displayName":"x"}]}"#.into()],
        ),
        (
            "an item read as a list (was a user)",
            vec![r#"{"value":[["an id"]]}"#.into()],
        ),
        (
            "a nextLink that is a number (the end)",
            vec![r#"{"value":[],"@odata.nextLink":7}"#.into()],
        ),
    ];
    for (why, pages) in cases {
        let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
        let read = users(&pages);
        assert!(read.is_err(), "{why}: {read:?}");
    }
    assert_eq!(
        users(&[r#"{"value":[{"id":"a"},{"id":"b"}]}"#]).expect("valid"),
        2
    );
}

#[test]
fn the_recycle_bin_refuses_an_item_it_cannot_date() {
    for item in [
        json!({"id": "u1"}),
        json!({"id": "u1", "deletedDateTime": null}),
        json!({"id": "u1", "deletedDateTime": "99999999999999999-01-01T00:00:00Z"}),
        json!({"deletedDateTime": "2026-11-26T07:35:00Z"}),
    ] {
        serve(vec![json!({ "value": [item] }).to_string()]);
        let client = stub().client();
        let read = stub().run(client.recycle_bin_users());
        assert!(read.is_err(), "{item}: {read:?}");
    }
}

/// `users_by_ids(["u0"])` against one `$batch` answer (the same each time it is asked).
fn by_id(answer: Value) -> Result<usize, GraphError> {
    let text = answer.to_string();
    stub().answer(move |_, _, _| (200, text.clone().into_bytes()));
    let client = stub().client();
    stub().run(async {
        let by_id = client.users_by_ids(&["u0".to_owned()]).await?;
        Ok(by_id.found.len() + by_id.missing.len())
    })
}

#[test]
fn batch_answers_refuse_what_they_used_to_misread() {
    let user = json!({"id": "u0", "displayName": "U"});
    let cases = [
        (
            "status 65,736 (read as 200)",
            json!({"responses": [{"id": "0", "status": 65_736, "body": user}]}),
        ),
        (
            "the request answered twice (the last taken)",
            json!({"responses": [
                {"id": "0", "status": 404, "body": {}},
                {"id": "0", "status": 200, "body": user},
            ]}),
        ),
        (
            "a 200 that is no user (neither found nor missing)",
            json!({"responses": [{"id": "0", "status": 200, "body": ["u0"]}]}),
        ),
        (
            "Retry-After 1e300 (panicked)",
            json!({"responses": [{"id": "0", "status": 429, "headers": {"Retry-After": "1e300"}}]}),
        ),
        (
            "Retry-After of a day (slept a day)",
            json!({"responses": [{"id": "0", "status": 429, "headers": {"Retry-After": "86400"}}]}),
        ),
    ];
    for (why, answer) in cases {
        let read = by_id(answer);
        assert!(read.is_err(), "{why}: {read:?}");
    }
    let whole = json!({"responses": [{"id": "0", "status": 200, "body": user}]});
    assert_eq!(by_id(whole).expect("valid"), 1);
}

#[test]
fn member_pages_refuse_what_they_used_to_panic_on_or_cut_short() {
    for body in [
        json!("text"),
        json!([1]),
        json!({}),
        json!({"value": [{"no": "id"}]}),
    ] {
        let answer = json!({"responses": [{"id": "0", "status": 200, "body": body}]}).to_string();
        stub().answer(move |_, _, _| (200, answer.clone().into_bytes()));
        let client = stub().client();
        let groups = [("g1".to_owned(), "G1".to_owned())];
        let read = stub().run(client.expand_groups(&groups, false, &HashSet::new()));
        assert!(read.is_err(), "{body}: {:?}", read.map(|e| e.members));
    }
}

#[test]
fn delta_rounds_refuse_a_new_link_past_lost_changes() {
    let link = format!(
        r#""@odata.deltaLink":"{}/v1.0/users/delta?$deltatoken=next""#,
        stub().base
    );
    for page in [
        format!("{{{link}}}"),
        format!(r#"{{{link},"value":null}}"#),
        format!(r#"{{{link},"value":[{{"displayName":"no id"}}]}}"#),
        format!(r#"{{{link},"value":[{{"@removed":{{"reason":"deleted"}}}}]}}"#),
        format!(r#"{{{link},"value":[{{"id":"u1","accountEnabled":"yes"}}]}}"#),
        format!(r#"{{{link},"value":[],"@odata.nextLink":{{}}}}"#),
        "[]".to_owned(),
    ] {
        serve(vec![page.clone()]);
        let client = stub().client();
        let read = stub().run(client.user_changes("/users/delta?$deltatoken=start", |_| true));
        assert!(
            read.is_err(),
            "{page}: {:?}",
            read.map(|r| r.map(|r| r.next_link))
        );
    }
}

#[test]
fn the_role_check_refuses_a_page_without_its_list() {
    for page in ["{}", r#"{"value":null}"#, r#"{"value":{}}"#, "[]"] {
        serve(vec![page.to_owned()]);
        let root = url::Url::parse(&stub().base).expect("root");
        let read = stub().run(aadsync_directory::auth::admin::roles_from_graph(
            &reqwest::Client::new(),
            &root,
            "secret-bearer",
            "admin@contoso.com",
        ));
        assert!(
            matches!(
                read,
                Err(aadsync_directory::auth::admin::AdminError::Unreadable { .. })
            ),
            "{page}: {read:?}"
        );
    }
}
