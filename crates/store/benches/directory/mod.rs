//! The generated directory both store benchmarks use: users with realistic names (accented
//! and apostrophed), departments, disabled accounts, and groups of distinct members.

use aadsync_store::{DirectoryChanges, DirectoryGroup, DirectoryUser};

const FIRST: [&str; 16] = [
    "Ada", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "João", "Kai",
    "Lena", "Mateo", "Nadia", "Oskar", "Priya",
];
const LAST: [&str; 16] = [
    "Smith",
    "Nguyen",
    "Müller",
    "Okafor",
    "García",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Rossi",
    "Johansson",
    "Dubois",
    "Singh",
    "O'Brien",
    "Petrov",
    "Silva",
    "Kim",
];
const DEPARTMENTS: [&str; 8] = [
    "Sales",
    "Marketing",
    "Finance",
    "IT",
    "Legal",
    "Operations",
    "R&D",
    "Support",
];

pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn directory(users: usize, groups: usize, per_group: usize) -> DirectoryChanges {
    let object_id =
        |kind: u32, i: usize| format!("{i:08x}-{kind:04x}-4000-8000-{:012x}", i * 7 + 3);
    let users_v: Vec<DirectoryUser> = (0..users)
        .map(|i| {
            let first = FIRST[i % 16];
            let last = LAST[(i / 16) % 16];
            let upn = format!(
                "{}.{}{}@contoso.com",
                first.to_lowercase(),
                last.to_lowercase(),
                i
            );
            DirectoryUser {
                object_id: object_id(1, i),
                user_principal_name: Some(upn.clone()),
                display_name: format!("{first} {last}"),
                given_name: Some(first.into()),
                surname: Some(last.into()),
                mail: (i % 10 != 0).then(|| upn.clone()),
                job_title: Some("Specialist".into()),
                department: Some(DEPARTMENTS[i % 8].into()),
                office_location: Some(format!("Building {}", i % 40)),
                mobile_phone: None,
                business_phones: vec![format!("+1 425 555 {:04}", i % 10_000)],
                user_type: None,
                account_enabled: i % 50 != 0,
                created_in_entra_at: Some("2024-01-15T08:00:00Z".into()),
                on_premises_sync_enabled: Some(i % 3 == 0),
                imported_via: String::new(),
            }
        })
        .collect();
    let groups_v = (0..groups)
        .map(|g| DirectoryGroup {
            object_id: object_id(2, g),
            display_name: format!("{} team {g}", DEPARTMENTS[g % 8]),
            description: Some("Generated".into()),
            mail: None,
            mail_enabled: false,
            security_enabled: true,
            group_types: vec![],
            // 7919 is prime and coprime to the user count, so members are distinct.
            members: Some(
                (0..per_group)
                    .map(|k| object_id(1, (g * per_group + k * 7919) % users))
                    .collect(),
            ),
            members_unreadable: None,
        })
        .collect();
    DirectoryChanges {
        users: users_v,
        groups: groups_v,
        removals: vec![],
        delta: None,
        ..DirectoryChanges::default()
    }
}
