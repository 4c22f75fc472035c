//! A deterministic tenant generator: the same (users, groups, seed) always gives the same tenant.
//!
//! Realistic enough to exercise the app: names from many cultures, departments, job titles,
//! guests with `#EXT#` UPNs (some without `mail`), ~3 % disabled users, on-premises-synced
//! users, department groups with nested team groups, an "All Staff" group with every member
//! (over 10k members in a large tenant), and a handful of hostile display names (markup,
//! quotes, right-to-left overrides, emoji). User 0 is a Global Administrator and user 1 a
//! regular user, with the documented demo credentials of [`crate::demo`].

use crate::demo;
use crate::model::{Group, RoleAssignment, Tenant, User, roles};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorConfig {
    pub users: usize,
    pub groups: usize,
    pub seed: u64,
}

/// SplitMix64: tiny, fast and good enough for test data; no dependency, stable forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// A version-4 GUID in the lower-case form Graph uses.
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

const FIRST: &[&str] = &[
    "Adele",
    "Alex",
    "Allan",
    "Amara",
    "Ben",
    "Chen",
    "Chloé",
    "Christie",
    "Dmitri",
    "Diego",
    "Emeka",
    "Enrico",
    "Fatima",
    "Grady",
    "Hana",
    "Henrietta",
    "Hiro",
    "Irvin",
    "Isaiah",
    "João",
    "Johanna",
    "Joni",
    "Kai",
    "Lee",
    "Lidia",
    "Lynne",
    "Mariam",
    "Megan",
    "Miriam",
    "Nestor",
    "Nadia",
    "Oskar",
    "Patti",
    "Pradeep",
    "Raúl",
    "Saanvi",
    "Siobhán",
    "Søren",
    "Tomás",
    "Yuki",
    "Zeynep",
    "Zoë",
];
const LAST: &[&str] = &[
    "Vance",
    "Wilber",
    "Deyoung",
    "Okafor",
    "Bowen",
    "Liu",
    "Dubois",
    "Cline",
    "Petrov",
    "García",
    "Nwosu",
    "Rossi",
    "Haddad",
    "Gates",
    "Tanaka",
    "Ogunleye",
    "Delgado",
    "Sherman",
    "Sánchez",
    "Johansson",
    "Holt",
    "Nakamura",
    "Holland",
    "Mazur",
    "Aziz",
    "Fernandez",
    "Wilke",
    "Patel",
    "Ó Briain",
    "Kowalczyk",
    "Müller",
    "Nguyen",
    "Jensen",
    "Kim",
    "Yılmaz",
    "Adeyemi",
    "Silva",
    "Schmidt",
    "O'Neil",
];
const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Marketing",
    "Finance",
    "IT",
    "Legal",
    "Operations",
    "Research & Development",
    "Human Resources",
    "Customer Support",
    "Manufacturing",
];
const TITLES: &[&str] = &[
    "Account Manager",
    "Analyst",
    "Engineer",
    "Senior Engineer",
    "Director",
    "Designer",
    "Paralegal",
    "Product Manager",
    "Specialist",
    "Team Lead",
    "Technician",
    "Consultant",
];
const OFFICES: &[&str] = &[
    "Redmond 18/2111",
    "Seattle 12/1110",
    "London 4/310",
    "Berlin 2/201",
    "Tokyo 9/902",
    "São Paulo 3/17",
    "Lagos 1/104",
    "Sydney 20/2001",
    "Remote",
];
const PARTNERS: &[&str] = &[
    "fabrikam.com",
    "litware.com",
    "adatum.net",
    "tailspintoys.com",
];
const TEAMS: &[&str] = &[
    "Alpha", "Atlas", "Beacon", "Comet", "Delta", "Ember", "Falcon", "Granite", "Harbor",
    "Horizon", "Juniper", "Lumen", "Meridian", "Nimbus", "Orion", "Summit", "Vertex", "Zephyr",
];
/// Display names that must stay text in every UI.
const HOSTILE: &[&str] = &[
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "Robert'); DROP TABLE users;--",
    "\"Quoted\" O'Brien",
    "\u{202e}gnp.exe Kurt",
    "עברית Levi",
    "محمد العلي",
    "Emoji 🦀 Person",
];

/// "2024-03-01T09:00:00Z" for a day number counted from 1970-01-01.
pub fn iso_date(days: i64, seconds_of_day: i64) -> String {
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        seconds_of_day / 3600,
        seconds_of_day / 60 % 60,
        seconds_of_day % 60
    )
}

fn ascii_slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            'á' | 'à' | 'ã' | 'â' => Some('a'),
            'é' | 'è' | 'ë' => Some('e'),
            'í' | 'ı' => Some('i'),
            'ó' | 'ö' | 'Ó' => Some('o'),
            'ú' | 'ü' => Some('u'),
            'ø' => Some('o'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// Generates a tenant. `users` includes the two fixed demo accounts.
pub fn generate(config: GeneratorConfig) -> Tenant {
    let mut rng = Rng::new(config.seed);
    let tenant_id = rng.guid();
    let domain = "contoso.com".to_owned();
    let initial = "contoso.onmicrosoft.com".to_owned();
    let users = users(&mut rng, config.users.max(2), &domain, &initial);
    let groups = groups(&mut rng, &users, config.groups, &domain);
    let admin_id = users[0].id.clone();
    Tenant {
        id: tenant_id,
        display_name: "Contoso".into(),
        domains: vec![domain, initial],
        users,
        groups,
        role_assignments: vec![RoleAssignment {
            role_template_id: roles::GLOBAL_ADMINISTRATOR.into(),
            members: vec![admin_id],
            eligible: Vec::new(),
        }],
        applications: vec![demo::application(), demo::application_without_roles_claim()],
    }
}

/// `count` users: the demo administrator, the demo regular user, then generated people.
fn users(rng: &mut Rng, count: usize, domain: &str, initial: &str) -> Vec<User> {
    let mut users = Vec::with_capacity(count);
    for i in 0..count {
        let id = rng.guid();
        let created = iso_date(17_900 + rng.below(2_000) as i64, rng.below(86_400) as i64);
        let user = match i {
            0 => demo::admin(id, created, domain),
            1 => demo::regular_user(id, created, domain),
            _ => person(rng, i, id, created, domain, initial),
        };
        users.push(user);
    }
    users
}

/// Generated user number `i`: a member or (about 4 %) a guest.
fn person(
    rng: &mut Rng,
    i: usize,
    id: String,
    created: String,
    domain: &str,
    initial: &str,
) -> User {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let guest = rng.chance(4);
    // About 1 % of users, from the 97th on, so even a small tenant has some.
    let hostile = i.is_multiple_of(97);
    let display_name = if hostile {
        HOSTILE[(i / 97 - 1) % HOSTILE.len()].to_owned()
    } else {
        format!("{first} {last}")
    };
    let local = format!("{}.{}{}", ascii_slug(first), ascii_slug(last), i);
    let (upn, mail, user_type) = if guest {
        let partner = rng.pick(PARTNERS);
        let external = format!("{local}@{partner}");
        let upn = format!("{local}_{partner}#EXT#@{initial}");
        // Some guests never got a mailbox address in the tenant.
        let mail = (!rng.chance(30)).then_some(external);
        (upn, mail, "Guest")
    } else {
        let upn = format!("{local}@{domain}");
        (upn.clone(), Some(upn), "Member")
    };
    User {
        id,
        user_principal_name: upn,
        display_name,
        given_name: Some(first.into()),
        surname: Some(last.into()),
        mail,
        job_title: (!guest).then(|| rng.pick(TITLES).to_owned()),
        department: (!guest).then(|| rng.pick(DEPARTMENTS).to_owned()),
        office_location: (!guest).then(|| rng.pick(OFFICES).to_owned()),
        mobile_phone: rng
            .chance(40)
            .then(|| format!("+1 206 555 {:04}", rng.below(10_000))),
        business_phones: if rng.chance(70) {
            vec![format!("+1 425 555 {:04}", rng.below(10_000))]
        } else {
            vec![]
        },
        preferred_language: rng.chance(50).then(|| "en-US".to_owned()),
        user_type: user_type.into(),
        account_enabled: !rng.chance(3),
        created_date_time: created,
        on_premises_sync_enabled: rng.chance(25).then_some(true),
        password: None,
        totp_secret: None,
        deleted_date_time: None,
    }
}

/// `count` groups: one per department (as many as fit), "All Staff", then teams.
fn groups(rng: &mut Rng, users: &[User], count: usize, domain: &str) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::with_capacity(count);
    let member_ids: Vec<&str> = users
        .iter()
        .filter(|u| u.user_type == "Member")
        .map(|u| u.id.as_str())
        .collect();
    let departments = DEPARTMENTS.len().min(count);
    for (d, dept) in DEPARTMENTS.iter().take(departments).enumerate() {
        groups.push(department_group(rng, users, d, dept, domain));
    }
    if count > departments {
        groups.push(all_staff(rng, &member_ids, domain));
    }
    add_teams(rng, &mut groups, &member_ids, departments, count);
    groups
}

/// The group of department number `d`: everyone whose department it is.
fn department_group(rng: &mut Rng, users: &[User], d: usize, dept: &str, domain: &str) -> Group {
    let members = users
        .iter()
        .filter(|u| u.department.as_deref() == Some(dept))
        .map(|u| u.id.clone())
        .collect();
    Group {
        id: rng.guid(),
        display_name: dept.to_owned(),
        description: Some(format!("Everyone in {dept}")),
        mail: Some(format!("{}@{domain}", ascii_slug(dept))),
        mail_enabled: d.is_multiple_of(2),
        security_enabled: true,
        visibility: None,
        group_types: if d.is_multiple_of(3) {
            vec!["Unified".into()]
        } else {
            vec![]
        },
        created_date_time: iso_date(17_800 + d as i64, 3_600),
        members,
        deleted_date_time: None,
        is_assignable_to_role: false,
    }
}

/// "All Staff": a Microsoft 365 group with every member user (over 10k in a large tenant).
fn all_staff(rng: &mut Rng, member_ids: &[&str], domain: &str) -> Group {
    Group {
        id: rng.guid(),
        display_name: "All Staff".into(),
        description: Some("Every member of the organization".into()),
        mail: Some(format!("allstaff@{domain}")),
        mail_enabled: true,
        security_enabled: false,
        visibility: None,
        group_types: vec!["Unified".into()],
        created_date_time: iso_date(17_790, 0),
        members: member_ids.iter().map(|s| (*s).to_owned()).collect(),
        deleted_date_time: None,
        is_assignable_to_role: false,
    }
}

/// Team groups of 5–80 random members until there are `count` groups.
fn add_teams(
    rng: &mut Rng,
    groups: &mut Vec<Group>,
    member_ids: &[&str],
    departments: usize,
    count: usize,
) {
    let mut team = 0;
    while groups.len() < count {
        let dept = team % departments.max(1);
        let size = 5 + rng.below(76);
        let members = (0..size)
            .map(|_| member_ids[rng.below(member_ids.len())].to_owned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let name = format!("{} {} {}", DEPARTMENTS[dept], rng.pick(TEAMS), team + 1);
        let id = rng.guid();
        // Teams nest inside their department group (one level), for transitive members.
        if let Some(parent) = groups.get_mut(dept) {
            parent.members.push(id.clone());
        }
        groups.push(Group {
            id,
            display_name: name,
            description: rng.chance(60).then(|| "Project team".to_owned()),
            mail: None,
            mail_enabled: false,
            security_enabled: true,
            visibility: None,
            group_types: vec![],
            created_date_time: iso_date(18_000 + rng.below(1_500) as i64, 0),
            members,
            deleted_date_time: None,
            is_assignable_to_role: false,
        });
        team += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_tenant_other_seed_other_tenant() {
        let config = GeneratorConfig {
            users: 500,
            groups: 30,
            seed: 7,
        };
        assert_eq!(generate(config), generate(config));
        assert_ne!(
            generate(config).id,
            generate(GeneratorConfig { seed: 8, ..config }).id
        );
    }

    #[test]
    fn generated_tenants_are_valid_and_varied() {
        let t = generate(GeneratorConfig {
            users: 3_000,
            groups: 60,
            seed: 1,
        });
        assert_eq!(t.validate(), Ok(()));
        assert_eq!((t.users.len(), t.groups.len()), (3_000, 60));
        let guests = t.users.iter().filter(|u| u.user_type == "Guest").count();
        assert!(
            guests > 30
                && t.users
                    .iter()
                    .any(|u| u.user_type == "Guest" && u.mail.is_none())
        );
        assert!(
            t.users
                .iter()
                .filter(|u| u.user_type == "Guest")
                .all(|u| u.user_principal_name.contains("#EXT#@"))
        );
        assert!(t.users.iter().any(|u| !u.account_enabled));
        assert!(t.users.iter().any(|u| u.display_name.contains("<script>")));
        let ids: std::collections::HashSet<&str> = t.groups.iter().map(|g| g.id.as_str()).collect();
        assert!(
            t.groups
                .iter()
                .any(|g| g.members.iter().any(|m| ids.contains(m.as_str()))),
            "nested groups"
        );
        assert_eq!(
            t.roles_of(&t.users[0].id),
            vec![roles::GLOBAL_ADMINISTRATOR]
        );
    }

    #[test]
    fn a_large_tenant_has_a_group_over_10k_members() {
        let t = generate(GeneratorConfig {
            users: 12_000,
            groups: 20,
            seed: 3,
        });
        assert!(t.groups.iter().any(|g| g.members.len() > 10_000));
    }

    #[test]
    fn dates_and_guids_are_well_formed() {
        assert_eq!(iso_date(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_date(19_723, 3_661), "2024-01-01T01:01:01Z");
        assert_eq!(iso_date(19_782, 0), "2024-02-29T00:00:00Z");
        let g = Rng::new(1).guid();
        assert_eq!(g.len(), 36);
        assert_eq!(&g[14..15], "4");
        assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"), "{g}");
    }
}
