//! Groups with hidden membership: without `Member.Read.Hidden`, Graph refuses to list their
//! members (403); that group is a failed object of the run, named with the permission, and the
//! rest of the synchronization is written. With the permission, it is imported like any other.

use crate::{README_PERMISSIONS, Selection, start_tenant};
use aadsync_directory::graph::retry::RetryPolicy;
use aadsync_emulator::{GeneratorConfig, generate};
use std::collections::BTreeSet;

#[tokio::test]
async fn a_hidden_membership_group_fails_alone_and_names_member_read_hidden() {
    let mut tenant = generate(GeneratorConfig {
        users: 60,
        groups: 6,
        seed: 3,
    });
    let mut with_members = (tenant.groups.iter_mut()).filter(|g| g.members.len() > 1);
    let hidden = with_members.next().expect("a group");
    hidden.group_types = vec!["Unified".into()];
    hidden.visibility = Some("HiddenMembership".into());
    let hidden = hidden.id.clone();
    let open = with_members.next().expect("another group");
    let open_members: BTreeSet<String> = open.members.iter().cloned().collect();
    let open = open.id.clone();
    let env = start_tenant(tenant).await;
    env.save_org();
    let selection = Selection {
        groups: vec![hidden.clone(), open.clone()],
        members: true,
        ..Selection::default()
    };

    let minimal = env.graph_with(README_PERMISSIONS, RetryPolicy::new(4, 50));
    env.sync_like_the_app(&minimal, &selection, false)
        .await
        .expect("the run goes on");
    let imported = env.imported();
    assert!(
        !imported.groups.contains_key(&hidden),
        "nothing of it written"
    );
    let members: BTreeSet<String> = (imported.groups[&open].directory.members.clone())
        .expect("members")
        .into_iter()
        .collect();
    let users: BTreeSet<String> = (open_members.iter())
        .filter(|m| imported.users.contains_key(*m))
        .cloned()
        .collect();
    assert_eq!(members, users, "the other group's members are written");
    assert!(!users.is_empty());
    // The audit log names the group as failed, with the permission that would read it. (The
    // reader is one connection behind a lock: let go of it before the next read.)
    let item = {
        let reader = env.store.reader();
        let runs = reader.runs().expect("runs");
        let run = runs.into_iter().map(|r| r.id).max().expect("a run");
        (reader.run_items(run).expect("items").into_iter())
            .find(|i| i.object_id == hidden)
            .expect("the hidden group's item")
    };
    assert_eq!(item.outcome, "failed");
    assert!(
        item.reason
            .as_deref()
            .is_some_and(|r| r.contains("Member.Read.Hidden")),
        "{item:?}"
    );
    // A failed object keeps the old links, so the next sync tries it again.
    assert_eq!(env.links(), None);

    let hidden_too: Vec<&str> = [README_PERMISSIONS, &["Member.Read.Hidden"]].concat();
    let full = env.graph_with(&hidden_too, RetryPolicy::new(4, 50));
    env.sync_like_the_app(&full, &selection, false)
        .await
        .expect("sync");
    let imported = env.imported();
    assert!(
        imported.groups[&hidden]
            .directory
            .members
            .as_ref()
            .is_some_and(|m| !m.is_empty()),
        "read with Member.Read.Hidden"
    );
}
