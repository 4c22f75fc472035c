//! A small Entra ID tenant the tests change between synchronizations, and the
//! `DirectoryChanges` a synchronization of it applies (every user and group, as a full read
//! returns them), so a test states what changed in Entra ID rather than building changes by
//! hand.

use crate::support::{entra_group, entra_user};
use aadsync_store::{
    DeltaLinks, DirectoryChanges, DirectoryUser, ObjectKind, Removal, RemovalAction,
};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub upn: String,
    pub name: String,
    pub department: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub name: String,
    pub members: BTreeSet<String>,
}

/// Users and groups by object ID, and what the next synchronization also carries: removals
/// and change-tracking links.
#[derive(Debug, Clone, Default)]
pub struct Tenant {
    pub people: BTreeMap<String, Person>,
    pub teams: BTreeMap<String, Team>,
    pub removals: Vec<Removal>,
    pub delta: Option<DeltaLinks>,
}

/// The object ID of a person or team in these tests: `o-ann`, `g-sales`.
pub fn oid(name: &str) -> String {
    format!("o-{name}")
}

impl Tenant {
    /// `people` (short names: ann → ann@contoso.com, "Ann" + surname) and `teams` with
    /// their members, everyone enabled in R&D.
    pub fn of(people: &[(&str, &str)], teams: &[(&str, &[&str])]) -> Self {
        let mut tenant = Tenant::default();
        for (short, name) in people {
            tenant.hire(short, name);
        }
        for (team, members) in teams {
            tenant.teams.insert(
                format!("g-{}", team.to_lowercase()),
                Team {
                    name: (*team).to_owned(),
                    members: members.iter().map(|m| oid(m)).collect(),
                },
            );
        }
        tenant
    }

    pub fn hire(&mut self, short: &str, name: &str) {
        self.people.insert(
            oid(short),
            Person {
                upn: format!("{short}@contoso.com"),
                name: name.to_owned(),
                department: "R&D".into(),
                enabled: true,
            },
        );
    }

    pub fn person(&mut self, short: &str) -> &mut Person {
        self.people.get_mut(&oid(short)).expect(short)
    }

    pub fn join(&mut self, team: &str, short: &str) {
        self.team(team).members.insert(oid(short));
    }

    pub fn leave(&mut self, team: &str, short: &str) {
        self.team(team).members.remove(&oid(short));
    }

    fn team(&mut self, team: &str) -> &mut Team {
        self.teams
            .get_mut(&format!("g-{}", team.to_lowercase()))
            .expect(team)
    }

    /// Deleted in Entra ID; the next synchronization deletes it here too (`action`).
    pub fn fire(&mut self, short: &str, action: RemovalAction) {
        self.people.remove(&oid(short));
        for team in self.teams.values_mut() {
            team.members.remove(&oid(short));
        }
        self.removals.push(Removal {
            kind: ObjectKind::User,
            object_id: oid(short),
            action,
            deletion: None,
            reason: "deleted in Entra ID".into(),
        });
    }

    pub fn user(&self, object_id: &str) -> DirectoryUser {
        let p = &self.people[object_id];
        DirectoryUser {
            department: Some(p.department.clone()),
            account_enabled: p.enabled,
            ..entra_user(object_id, &p.upn, &p.name)
        }
    }

    /// What a full synchronization of the tenant applies now; the removals are handed over
    /// once.
    pub fn sync(&mut self) -> DirectoryChanges {
        self.sync_without(&BTreeSet::new())
    }

    /// [`Self::sync`] leaving out `skipped` users (deleted on the server: a synchronization
    /// does not bring them back unless asked to).
    pub fn sync_without(&mut self, skipped: &BTreeSet<String>) -> DirectoryChanges {
        let members = |t: &Team| -> Vec<String> { t.members.iter().cloned().collect() };
        DirectoryChanges {
            users: self
                .people
                .keys()
                .filter(|id| !skipped.contains(*id))
                .map(|id| self.user(id))
                .collect(),
            groups: self
                .teams
                .iter()
                .map(|(id, t)| {
                    let m = members(t);
                    let m: Vec<&str> = m.iter().map(String::as_str).collect();
                    entra_group(id, &t.name, &m)
                })
                .collect(),
            removals: std::mem::take(&mut self.removals),
            delta: self.delta.take(),
            ..DirectoryChanges::default()
        }
    }
}

/// Change-tracking links named after `n`.
pub fn links(n: u32) -> DeltaLinks {
    DeltaLinks {
        users: format!("users/delta?$deltatoken=u{n}"),
        groups: format!("groups/delta?$deltatoken=g{n}"),
        taken_at: 1_790_000_000 + i64::from(n),
    }
}
