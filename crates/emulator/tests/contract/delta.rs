//! Delta rounds after each kind of tenant change, asserted on the JSON Microsoft's
//! documentation describes (`concepts/delta-query-overview.md`, `delta-query-users.md`,
//! `delta-query-groups.md`), and a seeded check that a round applied to the state at its link
//! gives the state Graph shows now.

use crate::support::{ALL_SCOPES, Env, start, start_lenient};
use aadsync_emulator::generate::Rng;
use aadsync_emulator::{GeneratorConfig, Tenant, generate};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const USERS: &str =
    "/v1.0/users/delta?$select=id,displayName,department,accountEnabled,userType,userPrincipalName";
const GROUPS: &str = "/v1.0/groups/delta?$select=displayName,members";

/// The tenant `start(users, groups)` serves.
fn tenant(users: usize, groups: usize) -> Tenant {
    generate(GeneratorConfig {
        users,
        groups,
        seed: 42,
    })
}

/// A control API call that must succeed; its JSON body, if any.
async fn control(env: &Env, method: Method, path: &str, body: Value) -> Value {
    let response = env
        .http
        .request(method.clone(), format!("{}{path}", env.emulator.base_url()))
        .json(&body)
        .send()
        .await
        .expect("control");
    let status = response.status();
    let text = response.text().await.expect("body");
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The same call, reporting whether the emulator accepted it (random sequences try changes
/// that may not apply, such as restoring an object that is not in the recycle bin).
async fn try_control(env: &Env, method: Method, path: &str, body: Value) -> Option<Value> {
    let response = env
        .http
        .request(method, format!("{}{path}", env.emulator.base_url()))
        .json(&body)
        .send()
        .await
        .expect("control");
    let ok = response.status().is_success();
    let text = response.text().await.expect("body");
    ok.then(|| serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn new_group(env: &Env, name: &str, unified: bool, members: &[&str]) -> String {
    let types: Vec<&str> = if unified { vec!["Unified"] } else { vec![] };
    let created = control(
        env,
        Method::POST,
        "/_emulator/groups",
        json!({"displayName": name, "groupTypes": types, "members": members}),
    )
    .await;
    created["id"].as_str().expect("id").to_owned()
}

/// Follows nextLinks to the deltaLink: every object of the round, and the next link.
async fn round(env: &Env, token: &str, link: &str) -> (Vec<Value>, String) {
    let mut url = link.to_owned();
    let mut objects = Vec::new();
    loop {
        let (status, _, body, text) = env
            .get(&url, Some(token), &[("Prefer", "odata.maxpagesize=7")])
            .await;
        assert_eq!(status, 200, "{text}");
        objects.extend(body["value"].as_array().cloned().unwrap_or_default());
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => {
                let delta = body["@odata.deltaLink"].as_str().expect("deltaLink");
                return (objects, delta.to_owned());
            }
        }
    }
}

/// Delta links for users and groups, taken "from now on".
struct Links {
    token: String,
    users: String,
    groups: String,
}

impl Links {
    async fn latest(env: &Env) -> Self {
        let token = env.token(ALL_SCOPES);
        let latest = |start: &str| format!("{start}&$deltatoken=latest");
        let (none, users) = round(env, &token, &latest(USERS)).await;
        assert_eq!(none, Vec::<Value>::new());
        let (none, groups) = round(env, &token, &latest(GROUPS)).await;
        assert_eq!(none, Vec::<Value>::new());
        Self {
            token,
            users,
            groups,
        }
    }

    /// The next round of both collections (the links move on).
    async fn next(&mut self, env: &Env) -> (Vec<Value>, Vec<Value>) {
        let (users, next_users) = round(env, &self.token, &self.users).await;
        let (groups, next_groups) = round(env, &self.token, &self.groups).await;
        (self.users, self.groups) = (next_users, next_groups);
        (users, groups)
    }
}

fn by_id<'a>(items: &'a [Value], id: &str) -> &'a Value {
    items
        .iter()
        .find(|o| o["id"] == json!(id))
        .unwrap_or_else(|| panic!("{id} not in {items:#?}"))
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|o| o["id"].as_str().map(str::to_owned))
        .collect()
}

fn user_ref(id: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.user", "id": id})
}

fn group_ref(id: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.group", "id": id})
}

fn removed_ref(mut reference: Value) -> Value {
    reference["@removed"] = json!({"reason": "deleted"});
    reference
}

#[tokio::test]
async fn a_member_deleted_restored_and_deleted_for_good_shows_in_users_and_in_each_of_his_groups() {
    let env = start_lenient(40, 4).await;
    let t = tenant(40, 4);
    let (user, other) = (t.users[5].id.as_str(), t.users[6].id.as_str());
    let team = new_group(&env, "Team", false, &[user, other]).await;
    let m365 = new_group(&env, "Project", true, &[user]).await;
    let mut his_groups: BTreeSet<String> = (t.groups.iter())
        .filter(|g| g.members.iter().any(|m| m == user))
        .map(|g| g.id.clone())
        .collect();
    his_groups.extend([team.clone(), m365.clone()]);
    let mut links = Links::latest(&env).await;

    // Soft delete: the user is `changed` (restorable); Graph stops listing him as a member,
    // so every group he was in reports him removed, and no other group appears.
    control(
        &env,
        Method::DELETE,
        &format!("/_emulator/users/{user}"),
        json!({}),
    )
    .await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(
        users,
        vec![json!({"id": user, "@removed": {"reason": "changed"}})]
    );
    assert_eq!(ids(&groups), his_groups);
    for g in &his_groups {
        assert_eq!(
            by_id(&groups, g)["members@delta"],
            json!([removed_ref(user_ref(user))]),
            "group {g}"
        );
    }
    assert_eq!(by_id(&groups, &team)["displayName"], json!("Team"));
    // The full read agrees: he is not a member any more.
    let (_, _, members, _) = env
        .get(
            &format!("/v1.0/groups/{team}/members?$select=id"),
            Some(&links.token),
            &[],
        )
        .await;
    assert_eq!(
        members["value"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": other}])
    );

    // Restore: the user comes back without annotation, and is a member again everywhere.
    control(
        &env,
        Method::POST,
        &format!("/_emulator/users/{user}/restore"),
        json!({}),
    )
    .await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(ids(&users), BTreeSet::from([user.to_owned()]));
    assert!(users[0].get("@removed").is_none());
    assert_eq!(users[0]["displayName"], json!(t.users[5].display_name));
    assert_eq!(ids(&groups), his_groups);
    for g in &his_groups {
        assert_eq!(by_id(&groups, g)["members@delta"], json!([user_ref(user)]));
    }

    // Deleted permanently while listed: `deleted`, and removed from every group.
    control(
        &env,
        Method::DELETE,
        &format!("/_emulator/users/{user}?hard=true"),
        json!({}),
    )
    .await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(
        users,
        vec![json!({"id": user, "@removed": {"reason": "deleted"}})]
    );
    assert_eq!(ids(&groups), his_groups);
    for g in &his_groups {
        assert_eq!(
            by_id(&groups, g)["members@delta"],
            json!([removed_ref(user_ref(user))])
        );
    }

    // Deleted from the recycle bin: the user goes from `changed` to `deleted`; his groups
    // stopped listing him at the soft delete, so they have nothing more to report.
    control(
        &env,
        Method::DELETE,
        &format!("/_emulator/users/{other}"),
        json!({}),
    )
    .await;
    let (_, groups) = links.next(&env).await;
    assert_eq!(
        by_id(&groups, &team)["members@delta"],
        json!([removed_ref(user_ref(other))])
    );
    control(
        &env,
        Method::DELETE,
        &format!("/_emulator/users/{other}?hard=true"),
        json!({}),
    )
    .await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(
        users,
        vec![json!({"id": other, "@removed": {"reason": "deleted"}})]
    );
    assert_eq!(groups, Vec::<Value>::new());

    // Nothing left to report.
    assert_eq!(links.next(&env).await, (vec![], vec![]));
}

#[tokio::test]
async fn a_nested_group_added_and_removed_is_a_members_delta_of_the_parent_only() {
    let env = start_lenient(20, 2).await;
    let t = tenant(20, 2);
    let user = t.users[3].id.as_str();
    let parent = new_group(&env, "Parent", false, &[]).await;
    let child = new_group(&env, "Child", false, &[user]).await;
    let mut links = Links::latest(&env).await;

    let path = format!("/_emulator/groups/{parent}/members");
    control(&env, Method::POST, &path, json!({"add": [child]})).await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(users, Vec::<Value>::new());
    assert_eq!(
        groups,
        vec![json!({"id": parent, "displayName": "Parent", "members@delta": [group_ref(&child)]})]
    );

    control(&env, Method::POST, &path, json!({"remove": [child]})).await;
    let (_, groups) = links.next(&env).await;
    assert_eq!(
        groups,
        vec![json!({"id": parent, "displayName": "Parent",
                    "members@delta": [removed_ref(group_ref(&child))]})]
    );

    // Added and removed again between two rounds: no net change, nothing reported.
    control(&env, Method::POST, &path, json!({"add": [child]})).await;
    control(&env, Method::POST, &path, json!({"remove": [child]})).await;
    assert_eq!(links.next(&env).await, (vec![], vec![]));
}

#[tokio::test]
async fn a_group_soft_deleted_and_restored_leaves_and_rejoins_its_parents() {
    let env = start_lenient(20, 2).await;
    let t = tenant(20, 2);
    let (a, b) = (t.users[2].id.as_str(), t.users[3].id.as_str());
    let child = new_group(&env, "Child", true, &[a, b]).await;
    let parent = new_group(&env, "Parent", false, &[&child, a]).await;
    let mut links = Links::latest(&env).await;

    // A Microsoft 365 group goes to the recycle bin: `changed`; its parent stops listing it.
    control(
        &env,
        Method::DELETE,
        &format!("/_emulator/groups/{child}"),
        json!({}),
    )
    .await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(users, Vec::<Value>::new());
    assert_eq!(
        ids(&groups),
        BTreeSet::from([child.clone(), parent.clone()])
    );
    assert_eq!(
        by_id(&groups, &child),
        &json!({"id": child, "@removed": {"reason": "changed"}})
    );
    assert_eq!(
        by_id(&groups, &parent)["members@delta"],
        json!([removed_ref(group_ref(&child))])
    );

    // Restored: reported like a new group, with its whole member list; the parent lists it
    // again.
    control(
        &env,
        Method::POST,
        &format!("/_emulator/groups/{child}/restore"),
        json!({}),
    )
    .await;
    let (_, groups) = links.next(&env).await;
    let mut expected = vec![user_ref(a), user_ref(b)];
    expected.sort_by_key(|m| m["id"].as_str().map(str::to_owned));
    assert_eq!(
        by_id(&groups, &child),
        &json!({"id": child, "displayName": "Child", "members@delta": expected})
    );
    assert_eq!(
        by_id(&groups, &parent)["members@delta"],
        json!([group_ref(&child)])
    );

    // A security group is deleted for good: `deleted`.
    control(
        &env,
        Method::DELETE,
        &format!("/_emulator/groups/{parent}"),
        json!({}),
    )
    .await;
    let (_, groups) = links.next(&env).await;
    assert_eq!(
        groups,
        vec![json!({"id": parent, "@removed": {"reason": "deleted"}})]
    );
}

async fn patch(env: &Env, user: &str, body: Value) {
    control(
        env,
        Method::PATCH,
        &format!("/_emulator/users/{user}"),
        body,
    )
    .await;
}

#[tokio::test]
async fn attribute_changes_appear_when_tracked_and_new_objects_appear_whole() {
    let env = start_lenient(20, 2).await;
    let t = tenant(20, 2);
    let (renamed, disabled) = (t.users[4].id.as_str(), t.users[5].id.as_str());
    let team = new_group(&env, "Team", false, &[renamed]).await;
    let mut links = Links::latest(&env).await;
    // A link without `$select` tracks every property.
    let (_, all_users) = round(&env, &links.token, "/v1.0/users/delta?$deltatoken=latest").await;

    patch(&env, renamed, json!({"displayName": "Renamed Person"})).await;
    patch(&env, disabled, json!({"accountEnabled": false})).await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(
        ids(&users),
        BTreeSet::from([renamed.to_owned(), disabled.to_owned()])
    );
    assert_eq!(
        by_id(&users, renamed)["displayName"],
        json!("Renamed Person")
    );
    assert_eq!(by_id(&users, disabled)["accountEnabled"], json!(false));
    // A user's attributes are not a membership change.
    assert_eq!(groups, Vec::<Value>::new());

    // A property outside `$select` is not tracked; without `$select` it is.
    patch(&env, renamed, json!({"preferredLanguage": "fr-FR"})).await;
    let (users, _) = links.next(&env).await;
    assert_eq!(users, Vec::<Value>::new());
    let (everything, _) = round(&env, &links.token, &all_users).await;
    assert_eq!(
        ids(&everything),
        BTreeSet::from([renamed.to_owned(), disabled.to_owned()])
    );
    assert_eq!(
        by_id(&everything, renamed)["preferredLanguage"],
        json!("fr-FR")
    );

    // New member and guest users appear whole; a group rename carries no members@delta.
    let guest = control(
        &env,
        Method::POST,
        "/_emulator/users",
        json!({"userPrincipalName": "ext_contoso.net#EXT#@contoso.com",
               "displayName": "A Guest", "userType": "Guest"}),
    )
    .await;
    let guest = guest["id"].as_str().expect("id");
    control(
        &env,
        Method::PATCH,
        &format!("/_emulator/groups/{team}"),
        json!({"displayName": "Team Renamed", "description": "not selected"}),
    )
    .await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(
        users,
        vec![
            json!({"id": guest, "displayName": "A Guest", "department": null,
                    "accountEnabled": true, "userType": "Guest",
                    "userPrincipalName": "ext_contoso.net#EXT#@contoso.com"})
        ]
    );
    assert_eq!(
        groups,
        vec![json!({"id": team, "displayName": "Team Renamed"})]
    );

    // Only the description changed: not selected, not reported.
    control(
        &env,
        Method::PATCH,
        &format!("/_emulator/groups/{team}"),
        json!({"description": "still not selected"}),
    )
    .await;
    assert_eq!(links.next(&env).await, (vec![], vec![]));
}

#[tokio::test]
async fn a_move_between_groups_is_a_removal_in_one_and_an_addition_in_the_other() {
    let env = start_lenient(20, 2).await;
    let t = tenant(20, 2);
    let user = t.users[7].id.as_str();
    let from = new_group(&env, "From", false, &[user]).await;
    let to = new_group(&env, "To", true, &[]).await;
    let mut links = Links::latest(&env).await;
    control(
        &env,
        Method::POST,
        &format!("/_emulator/groups/{from}/members"),
        json!({"remove": [user]}),
    )
    .await;
    control(
        &env,
        Method::POST,
        &format!("/_emulator/groups/{to}/members"),
        json!({"add": [user]}),
    )
    .await;
    let (users, groups) = links.next(&env).await;
    assert_eq!(users, Vec::<Value>::new());
    assert_eq!(ids(&groups), BTreeSet::from([from.clone(), to.clone()]));
    assert_eq!(
        by_id(&groups, &from)["members@delta"],
        json!([removed_ref(user_ref(user))])
    );
    assert_eq!(
        by_id(&groups, &to)["members@delta"],
        json!([user_ref(user)])
    );
}

/// What a client knows from delta rounds: users and groups by ID, with each group's members.
#[derive(Debug, Default, PartialEq)]
struct Model {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, (Value, BTreeSet<String>)>,
}

impl Model {
    /// Applies a round as Graph's documentation says a client should: `@removed` objects go,
    /// others replace what was known, `members@delta` adds and removes members.
    fn apply(&mut self, users: &[Value], groups: &[Value]) {
        for u in users {
            let id = u["id"].as_str().expect("id").to_owned();
            if u.get("@removed").is_some() {
                self.users.remove(&id);
            } else {
                self.users.insert(id, u.clone());
            }
        }
        for g in groups {
            let id = g["id"].as_str().expect("id").to_owned();
            if g.get("@removed").is_some() {
                self.groups.remove(&id);
                continue;
            }
            let mut props = g.clone();
            let delta = props
                .as_object_mut()
                .and_then(|o| o.remove("members@delta"));
            // Graph may report a group over several items (one carrying only its id and more
            // members) and repeat an object: properties merge, the last copy winning.
            let entry = self.groups.entry(id).or_default();
            if let (Some(known), Some(new)) = (entry.0.as_object_mut(), props.as_object()) {
                known.extend(new.clone());
            } else {
                entry.0 = props;
            }
            for m in delta
                .as_ref()
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let member = m["id"].as_str().expect("member id").to_owned();
                if m.get("@removed").is_some() {
                    entry.1.remove(&member);
                } else {
                    entry.1.insert(member);
                }
            }
        }
    }
}

impl Model {
    /// What differs from `other`, one line per object (a readable failure message).
    fn differences(&self, other: &Model) -> Vec<String> {
        let users = self.users.keys().chain(other.users.keys());
        let mut out: Vec<String> = users
            .filter(|id| self.users.get(*id) != other.users.get(*id))
            .map(|id| {
                format!(
                    "user {id}: {:?} ≠ {:?}",
                    self.users.get(id),
                    other.users.get(id)
                )
            })
            .collect();
        let groups = self.groups.keys().chain(other.groups.keys());
        out.extend(
            groups
                .filter(|id| self.groups.get(*id) != other.groups.get(*id))
                .map(|id| {
                    format!(
                        "group {id}: {:?} ≠ {:?}",
                        self.groups.get(id),
                        other.groups.get(id)
                    )
                }),
        );
        out.sort();
        out.dedup();
        out
    }
}

/// The state Graph shows now (a full enumeration), and links for the changes after it.
async fn full(env: &Env, token: &str) -> (Model, Links) {
    let (users, users_link) = round(env, token, USERS).await;
    let (groups, groups_link) = round(env, token, GROUPS).await;
    let mut model = Model::default();
    model.apply(&users, &groups);
    let links = Links {
        token: token.to_owned(),
        users: users_link,
        groups: groups_link,
    };
    (model, links)
}

/// Where each object of a random sequence is, so most changes tried apply.
#[derive(Default)]
struct Known {
    users: Vec<String>,
    recycled_users: Vec<String>,
    groups: Vec<String>,
    recycled_groups: Vec<String>,
    unified: BTreeSet<String>,
}

/// One random change through the control API.
async fn random_change(env: &Env, rng: &mut Rng, known: &mut Known, step: usize) {
    let pick = |rng: &mut Rng, list: &[String]| list.get(rng.below(list.len())).cloned();
    let Some(user) = pick(rng, &known.users) else {
        return;
    };
    let Some(group) = pick(rng, &known.groups) else {
        return;
    };
    let user_path = format!("/_emulator/users/{user}");
    let members = format!("/_emulator/groups/{group}/members");
    match rng.below(16) {
        0 => drop(
            try_control(
                env,
                Method::PATCH,
                &user_path,
                json!({"displayName": format!("Name {step}")}),
            )
            .await,
        ),
        1 => drop(
            try_control(
                env,
                Method::PATCH,
                &user_path,
                json!({"department": format!("Dept {}", rng.below(3))}),
            )
            .await,
        ),
        2 => drop(
            try_control(
                env,
                Method::PATCH,
                &user_path,
                json!({"accountEnabled": rng.chance(50)}),
            )
            .await,
        ),
        3 => drop(
            try_control(
                env,
                Method::PATCH,
                &user_path,
                json!({"preferredLanguage": "de-DE"}),
            )
            .await,
        ),
        4 | 5 => {
            // A member joins: a user, or a group nested (not into itself).
            let member = if rng.chance(30) {
                pick(rng, &known.groups).filter(|g| *g != group)
            } else {
                Some(user)
            };
            drop(
                try_control(
                    env,
                    Method::POST,
                    &members,
                    json!({"add": member.into_iter().collect::<Vec<_>>()}),
                )
                .await,
            );
        }
        6 | 7 => {
            let member = if rng.chance(30) {
                pick(rng, &known.groups)
            } else {
                Some(user)
            };
            drop(
                try_control(
                    env,
                    Method::POST,
                    &members,
                    json!({"remove": member.into_iter().collect::<Vec<_>>()}),
                )
                .await,
            );
        }
        8 => {
            if try_control(env, Method::DELETE, &user_path, json!({}))
                .await
                .is_some()
            {
                known.users.retain(|u| *u != user);
                known.recycled_users.push(user);
            }
        }
        9 => {
            if let Some(back) = pick(rng, &known.recycled_users) {
                control(
                    env,
                    Method::POST,
                    &format!("/_emulator/users/{back}/restore"),
                    json!({}),
                )
                .await;
                known.recycled_users.retain(|u| *u != back);
                known.users.push(back);
            }
        }
        10 => {
            // Deleted for good: listed or from the recycle bin.
            let gone = if rng.chance(50) {
                Some(user)
            } else {
                pick(rng, &known.recycled_users)
            };
            if let Some(gone) = gone {
                control(
                    env,
                    Method::DELETE,
                    &format!("/_emulator/users/{gone}?hard=true"),
                    json!({}),
                )
                .await;
                known.users.retain(|u| *u != gone);
                known.recycled_users.retain(|u| *u != gone);
            }
        }
        11 => {
            let guest = rng.chance(40);
            let created = control(env, Method::POST, "/_emulator/users", json!({
                "userPrincipalName": format!("new{step}_{}@contoso.com", rng.below(1_000_000)),
                "displayName": format!("New {step}"), "userType": if guest { "Guest" } else { "Member" },
            })).await;
            let id = created["id"].as_str().expect("id").to_owned();
            if rng.chance(60) {
                control(env, Method::POST, &members, json!({"add": [id]})).await;
            }
            known.users.push(id);
        }
        12 => {
            let unified = rng.chance(50);
            let id = new_group(env, &format!("Group {step}"), unified, &[user.as_str()]).await;
            if unified {
                known.unified.insert(id.clone());
            }
            if rng.chance(50) {
                control(env, Method::POST, &members, json!({"add": [id]})).await;
            }
            known.groups.push(id);
        }
        13 => drop(
            try_control(
                env,
                Method::PATCH,
                &format!("/_emulator/groups/{group}"),
                json!({"displayName": format!("Renamed {step}")}),
            )
            .await,
        ),
        14 => {
            if let Some(back) = pick(rng, &known.recycled_groups) {
                control(
                    env,
                    Method::POST,
                    &format!("/_emulator/groups/{back}/restore"),
                    json!({}),
                )
                .await;
                known.recycled_groups.retain(|g| *g != back);
                known.groups.push(back);
            }
        }
        _ => {
            control(
                env,
                Method::DELETE,
                &format!("/_emulator/groups/{group}"),
                json!({}),
            )
            .await;
            known.groups.retain(|g| *g != group);
            // Microsoft 365 groups go to the recycle bin; security groups are gone for good.
            if known.unified.contains(&group) {
                known.recycled_groups.push(group);
            }
        }
    }
}

#[tokio::test]
async fn a_round_applied_to_the_state_at_its_link_gives_the_state_graph_shows_now() {
    for seed in [1, 2, 3, 4, 5] {
        let env = start(30, 5).await;
        let t = tenant(30, 5);
        let token = env.token(ALL_SCOPES);
        let mut known = Known {
            // Not user 0: the token's user must stay to read Graph.
            users: t.users.iter().skip(1).map(|u| u.id.clone()).collect(),
            groups: t.groups.iter().map(|g| g.id.clone()).collect(),
            unified: (t.groups.iter())
                .filter(|g| g.group_types.iter().any(|k| k == "Unified"))
                .map(|g| g.id.clone())
                .collect(),
            ..Known::default()
        };
        let (mut model, mut links) = full(&env, &token).await;
        let mut rng = Rng::new(seed);
        for step in 0..60 {
            random_change(&env, &mut rng, &mut known, step).await;
            if rng.chance(30) {
                let (users, groups) = links.next(&env).await;
                model.apply(&users, &groups);
                let (now, _) = full(&env, &token).await;
                let wrong = model.differences(&now);
                assert!(
                    wrong.is_empty(),
                    "seed {seed}, step {step}:\n{}",
                    wrong.join("\n")
                );
            }
        }
        let (users, groups) = links.next(&env).await;
        model.apply(&users, &groups);
        let wrong = model.differences(&full(&env, &token).await.0);
        assert!(
            wrong.is_empty(),
            "seed {seed}, at the end:\n{}",
            wrong.join("\n")
        );
    }
}
