//! `aadsync`, the command line: organizations and administrator sign-in on the same database
//! and keyring as the desktop app.

use aadsync_directory::auth::admin::AdminPolicy;
use aadsync_directory::auth::signin::{
    BROWSER_TIMEOUT, DeviceSignIn, Interactive, SignedIn, open_browser,
};
use aadsync_directory::graph::GraphClient;
use aadsync_keystore::TokenStore;
use aadsync_store::{ApplyOutcome, CloudKind, OpenOptions, Organization, RunInfo, Store};
use aadsync_sync::deleted::{Action, needs_confirmation, safeguard_of};
use aadsync_sync::engine::{self, Selection};
use aadsync_sync::orgs::{self, CloudChoice, NewOrganizationInput, OrgError, Prepared};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Same place as the desktop app (Tauri's app-data directory for its identifier).
const APP_IDENTIFIER: &str = "com.aadsync.desktop";
const DATABASE_FILE: &str = "aadsync.sqlite3";

#[derive(Debug, Parser)]
#[command(
    name = "aadsync",
    version,
    about = "Synchronize Microsoft Entra ID users and groups into the server's user database"
)]
struct Cli {
    /// The database file (default: the desktop app's; also AADSYNC_DB).
    #[arg(long, global = true, env = "AADSYNC_DB")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Organizations (Entra ID tenants).
    #[command(subcommand)]
    Org(OrgCommand),
    /// Sign in again to a stored organization.
    Login {
        /// The organization: its number, tenant ID, domain or name.
        #[arg(long)]
        org: String,
        /// Show a code to enter at the sign-in page instead of opening a browser.
        #[arg(long)]
        device_code: bool,
    },
    /// Show who is signed in to each organization (a silent sign-in, nothing is changed).
    Whoami {
        #[arg(long)]
        org: Option<String>,
    },
    /// The audit log: synchronization runs, newest first.
    Runs {
        #[arg(long)]
        json: bool,
    },
    /// Undo the last synchronization by restoring the snapshot taken before it.
    Undo {
        /// The run to undo (must be the last synchronization).
        #[arg(long)]
        run: i64,
        /// Do it (without: show what would be lost).
        #[arg(long)]
        yes: bool,
    },
    /// List users or groups of an organization's tenant.
    List {
        #[arg(value_enum)]
        what: ListWhat,
        #[arg(long)]
        org: String,
        /// Search Entra ID (display name, UPN, mail) instead of listing everything.
        #[arg(long)]
        search: Option<String>,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Import the given users and groups (and refresh everything imported earlier).
    Sync {
        #[arg(long)]
        org: String,
        /// A user's object ID or UPN (repeatable).
        #[arg(long = "user")]
        users: Vec<String>,
        /// A group's object ID (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Also import the user members of the groups.
        #[arg(long)]
        members: bool,
        /// …and of the groups inside them.
        #[arg(long, requires = "members")]
        nested: bool,
        /// Show the plan; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Read every imported object again instead of only Entra ID's changes since the
        /// last synchronization (which is what happens anyway when the 7-day change-tracking
        /// window lapsed).
        #[arg(long)]
        full: bool,
        /// The plan or the report as JSON.
        #[arg(long)]
        json: bool,
        /// Also handle users imported earlier that Entra ID deleted, disabled or no longer
        /// puts in scope.
        #[arg(long)]
        check_deleted: bool,
        /// What to do with them on the server.
        #[arg(long, value_enum, default_value_t = DeletedArg::Disable, requires = "check_deleted")]
        deleted_action: DeletedArg,
        /// Go ahead even when more than 10 objects and more than 10% of this organization's
        /// imported objects would be disabled or deleted.
        #[arg(long, requires = "check_deleted")]
        allow_mass_delete: bool,
        /// Import again users that were deleted on this server (otherwise they are left out).
        #[arg(long)]
        reimport_deleted: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DeletedArg {
    Keep,
    Disable,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListWhat {
    Users,
    Groups,
}

/// A failure with its exit code.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self { code: 1, message }
    }
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// List the stored organizations.
    List,
    /// Sign in to a new organization as an administrator and store it.
    Add {
        /// Tenant ID (GUID) or verified domain.
        #[arg(long, required_unless_present = "demo")]
        tenant: Option<String>,
        /// Application (client) ID of the app registration.
        #[arg(long, required_unless_present = "demo")]
        client_id: Option<String>,
        #[arg(long, value_enum, default_value_t = CloudArg::Global)]
        cloud: CloudArg,
        /// Authority host for --cloud custom, e.g. https://login.example.com.
        #[arg(long, required_if_eq("cloud", "custom"))]
        authority: Option<String>,
        /// Graph root for --cloud custom (default: the authority host).
        #[arg(long)]
        graph: Option<String>,
        /// The offline demo tenant (Contoso), started inside this process.
        #[arg(long, conflicts_with_all = ["tenant", "client_id", "authority", "graph"])]
        demo: bool,
        /// Show a code to enter at the sign-in page instead of opening a browser.
        #[arg(long)]
        device_code: bool,
    },
    /// Remove an organization and its saved sign-in (imported users stay).
    Remove {
        /// The organization: its number, tenant ID, domain or name.
        org: String,
    },
    /// Set the deletion safeguard: a sync that would disable or delete more than COUNT
    /// objects and more than PERCENT % of the organization's imported objects stops (exit 5)
    /// unless --allow-mass-delete is given. Default: 10 and 10.
    SetThreshold {
        /// The organization: its number, tenant ID, domain or name.
        org: String,
        #[arg(long)]
        count: u32,
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100))]
        percent: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CloudArg {
    Global,
    UsGovernment,
    China,
    Custom,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AADSYNC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::List { .. } | Command::Sync { .. } => match directory(cli).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => {
                if !failure.message.is_empty() {
                    eprintln!("aadsync: {}", failure.message);
                }
                ExitCode::from(failure.code)
            }
        },
        _ => match run(cli).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("aadsync: {message}");
                ExitCode::FAILURE
            }
        },
    }
}

fn database_path(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    match explicit {
        Some(path) => Ok(path),
        None => dirs::data_dir()
            .map(|d| d.join(APP_IDENTIFIER).join(DATABASE_FILE))
            .ok_or_else(|| "cannot find the user data directory: pass --db".to_owned()),
    }
}

fn open_store(path: &std::path::Path) -> Result<Store, String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    Store::open(path, &OpenOptions::default()).map_err(|e| e.to_string())
}

async fn run(cli: Cli) -> Result<(), String> {
    let store = open_store(&database_path(cli.db)?)?;
    let tokens = TokenStore::platform();
    let policy = AdminPolicy::default();
    match cli.command {
        Command::Org(OrgCommand::List) => list(&store),
        Command::Org(OrgCommand::Add {
            tenant,
            client_id,
            cloud,
            authority,
            graph,
            demo,
            device_code,
        }) => {
            let cloud = match (demo, cloud) {
                (true, _) => CloudChoice::Demo,
                (_, CloudArg::Global) => CloudChoice::Global,
                (_, CloudArg::UsGovernment) => CloudChoice::UsGovernment,
                (_, CloudArg::China) => CloudChoice::China,
                (_, CloudArg::Custom) => CloudChoice::Custom {
                    authority_host: authority.unwrap_or_default(),
                    graph_root: graph.unwrap_or_default(),
                },
            };
            let input = NewOrganizationInput {
                tenant: tenant.unwrap_or_default(),
                client_id: client_id.unwrap_or_default(),
                cloud,
            };
            let prepared = tokio::task::spawn_blocking(move || orgs::prepare_new(&input))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            sign_in_and_save(&store, &tokens, &policy, &prepared, None, device_code).await
        }
        Command::Org(OrgCommand::Remove { org }) => {
            let org = find(&store, &org)?;
            let removed = orgs::remove(&store, &tokens, org.id)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "Removed {} and its saved sign-in. Users imported from it are kept.",
                name(&removed)
            );
            Ok(())
        }
        Command::Org(OrgCommand::SetThreshold {
            org,
            count,
            percent,
        }) => {
            let org = find(&store, &org)?;
            store
                .writer()
                .set_deletion_threshold(org.id, count, percent)
                .map_err(|e| e.to_string())?;
            println!(
                "{}: a sync now stops before disabling or deleting more than {count} objects and more than {percent} % of the imported objects.",
                name(&org)
            );
            Ok(())
        }
        Command::Login { org, device_code } => {
            let org = find(&store, &org)?;
            let hint = org.admin_upn.clone();
            let prepared = tokio::task::spawn_blocking(move || orgs::prepare_existing(&org))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            sign_in_and_save(
                &store,
                &tokens,
                &policy,
                &prepared,
                hint.as_deref(),
                device_code,
            )
            .await
        }
        Command::List { .. } | Command::Sync { .. } => Ok(()),
        Command::Runs { json } => {
            let runs = store.reader().runs().map_err(|e| e.to_string())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&runs).map_err(|e| e.to_string())?
                );
                return Ok(());
            }
            if runs.is_empty() {
                println!("No synchronizations yet.");
            }
            for r in runs {
                println!(
                    "#{:<4} {:<5} {:<10} {}  {:<24} by {}: {} created, {} updated, {} unchanged, {} disabled, {} deleted, {} failed{}",
                    r.id,
                    r.kind,
                    r.status,
                    r.started_at,
                    r.organization.as_deref().unwrap_or(&r.tenant_id),
                    r.started_by,
                    r.created,
                    r.updated,
                    r.unchanged,
                    r.disabled,
                    r.deleted,
                    r.failed,
                    r.message.map(|m| format!(" — {m}")).unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Undo { run, yes } => {
            let preview = store
                .writer()
                .undo_preview(run)
                .map_err(|e| e.to_string())?;
            let lost = if preview.later_user_changes > 0 {
                format!(
                    " {} user(s) created or edited on the server since then will be lost too.",
                    preview.later_user_changes
                )
            } else {
                String::new()
            };
            if !yes {
                println!(
                    "Undoing run #{run} restores the database as it was before it ({} created, {} updated, {} disabled, {} deleted).{lost} Run again with --yes to do it.",
                    preview.run.created,
                    preview.run.updated,
                    preview.run.disabled,
                    preview.run.deleted
                );
                return Err("not undone (no --yes)".into());
            }
            let by = std::env::var("USER").unwrap_or_else(|_| "aadsync CLI".into());
            let undo = store
                .writer()
                .undo_run(run, &by)
                .map_err(|e| e.to_string())?;
            println!("Run #{run} undone (recorded as run #{undo}).{lost}");
            Ok(())
        }
        Command::Whoami { org } => {
            let list = match org {
                Some(o) => vec![find(&store, &o)?],
                None => store.reader().organizations().map_err(|e| e.to_string())?,
            };
            if list.is_empty() {
                println!(
                    "No organizations. Add one with: aadsync org add --tenant … --client-id …"
                );
                return Ok(());
            }
            let mut failed = 0;
            for org in &list {
                match orgs::connect(org, &tokens, &policy).await {
                    Ok(connected) => println!(
                        "{}: {} ({})",
                        name(org),
                        connected.account.upn,
                        connected.account.roles.join(", ")
                    ),
                    Err(err) => {
                        failed += 1;
                        let hint = if err.needs_sign_in() {
                            format!(" — run: aadsync login --org {}", org.id.0)
                        } else {
                            String::new()
                        };
                        println!("{}: not signed in: {err}{hint}", name(org));
                    }
                }
            }
            if failed == 0 {
                Ok(())
            } else {
                Err(format!("{failed} organization(s) need attention"))
            }
        }
    }
}

/// `list` and `sync`: they need a connected organization and Graph.
async fn directory(cli: Cli) -> Result<(), Failure> {
    let db = database_path(cli.db)?;
    let store = open_store(&db)?;
    let tokens = TokenStore::platform();
    let policy = AdminPolicy::default();
    let org_key = match &cli.command {
        Command::List { org, .. } | Command::Sync { org, .. } => org.clone(),
        _ => return Ok(()),
    };
    let org = find(&store, &org_key)?;
    let connected = orgs::connect(&org, &tokens, &policy)
        .await
        .map_err(|e| Failure {
            code: if e.needs_sign_in() { 4 } else { 1 },
            message: if e.needs_sign_in() {
                format!("{e} — run: aadsync login --org {}", org.id.0)
            } else {
                e.to_string()
            },
        })?;
    let graph = GraphClient::new(connected.session.clone()).map_err(|e| e.to_string())?;
    match cli.command {
        Command::List {
            what, search, json, ..
        } => list_directory(&graph, what, search.as_deref(), json).await,
        Command::Sync {
            users,
            groups,
            members,
            nested,
            dry_run,
            full,
            json,
            check_deleted,
            deleted_action,
            allow_mass_delete,
            reimport_deleted,
            ..
        } => {
            let selection = Selection {
                users,
                groups,
                members,
                nested,
            };
            let deleted = check_deleted.then_some(DeletedOptions {
                action: match deleted_action {
                    DeletedArg::Keep => Action::Keep,
                    DeletedArg::Disable => Action::Disable,
                    DeletedArg::Delete => Action::Delete,
                },
                allow_mass: allow_mass_delete,
            });
            let options = SyncOptions {
                deleted,
                reimport: reimport_deleted,
                dry_run,
                full,
                json,
            };
            sync(&store, &graph, &connected, &selection, options).await
        }
        _ => Ok(()),
    }
}

async fn list_directory(
    graph: &GraphClient,
    what: ListWhat,
    search: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let mut rows: Vec<serde_json::Value> = Vec::new();
    let result = match what {
        ListWhat::Users => {
            graph
                .users(search, |page| {
                    for u in page {
                        if !json {
                            println!(
                                "{:<36}  {:<40}  {:<28}  {:<20}{}{}",
                                u.id,
                                u.user_principal_name.as_deref().unwrap_or(""),
                                u.display_name,
                                u.department.as_deref().unwrap_or(""),
                                if u.is_guest() { "  guest" } else { "" },
                                if u.account_enabled == Some(false) {
                                    "  disabled"
                                } else {
                                    ""
                                },
                            );
                        } else {
                            rows.push(serde_json::json!({
                                "id": u.id,
                                "userPrincipalName": u.user_principal_name,
                                "displayName": u.display_name,
                                "mail": u.mail,
                                "department": u.department,
                                "userType": u.user_type,
                                "accountEnabled": u.account_enabled,
                            }));
                        }
                    }
                })
                .await
        }
        ListWhat::Groups => {
            graph
                .groups(search, |page| {
                    for g in page {
                        if !json {
                            println!(
                                "{:<36}  {:<40}  {}",
                                g.id,
                                g.display_name,
                                g.mail.as_deref().unwrap_or("")
                            );
                        } else {
                            rows.push(serde_json::json!({
                                "id": g.id,
                                "displayName": g.display_name,
                                "mail": g.mail,
                                "securityEnabled": g.security_enabled,
                                "groupTypes": g.group_types,
                            }));
                        }
                    }
                })
                .await
        }
    };
    result.map_err(|e| e.to_string())?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
    }
    Ok(())
}

fn outcome_json(items: &[(String, String, String, String, String)]) -> Vec<serde_json::Value> {
    items
        .iter()
        .map(|(kind, id, name, outcome, detail)| {
            serde_json::json!({"type": kind, "id": id, "displayName": name, "outcome": outcome, "detail": detail})
        })
        .collect()
}

fn describe(outcome: &ApplyOutcome, done: bool) -> (String, String) {
    match outcome {
        ApplyOutcome::Created => (
            if done { "created" } else { "create" }.into(),
            String::new(),
        ),
        ApplyOutcome::Updated { fields } => (
            if done { "updated" } else { "update" }.into(),
            fields.join(", "),
        ),
        ApplyOutcome::Unchanged => ("unchanged".into(), String::new()),
        ApplyOutcome::Disabled { reason } => (
            if done { "disabled" } else { "disable" }.into(),
            reason.clone(),
        ),
        ApplyOutcome::Deleted { reason } => (
            if done { "deleted" } else { "delete" }.into(),
            reason.clone(),
        ),
        ApplyOutcome::Failed { reason } => ("failed".into(), reason.clone()),
    }
}

#[derive(Debug, Clone, Copy)]
struct DeletedOptions {
    action: Action,
    allow_mass: bool,
}

#[derive(Debug, Clone, Copy)]
struct SyncOptions {
    deleted: Option<DeletedOptions>,
    reimport: bool,
    dry_run: bool,
    /// Compare every imported object even when change-tracking links are usable.
    full: bool,
    json: bool,
}

async fn sync(
    store: &Store,
    graph: &GraphClient,
    connected: &aadsync_sync::Connected,
    selection: &Selection,
    options: SyncOptions,
) -> Result<(), Failure> {
    let SyncOptions {
        deleted,
        reimport,
        dry_run,
        full,
        json,
    } = options;
    use std::io::IsTerminal;
    let tenant = connected.organization.tenant_id.clone();
    let terminal = std::io::stderr().is_terminal();
    let progress = move |p: engine::Progress| {
        if terminal {
            eprint!("\r\x1b[2K{}… {}", p.phase.label(), p.done);
        }
    };
    let imported = store
        .reader()
        .imported(&tenant)
        .map_err(|e| e.to_string())?;
    let links = if full {
        None
    } else {
        store
            .reader()
            .delta_links(&tenant)
            .map_err(|e| e.to_string())?
    };
    let forced = match (&deleted, full) {
        (Some(_), _) => Some(engine::FullReason::CheckDeleted),
        (None, true) => Some(engine::FullReason::Requested),
        (None, false) => None,
    };
    let gathered = engine::gather_incremental(
        graph,
        &imported,
        selection,
        links.as_ref(),
        forced,
        &progress,
    )
    .await
    .map_err(|e| e.to_string())?;
    if !json {
        eprintln!("{}", gathered.read.describe());
        if deleted.is_none() && gathered.deleted_in_entra() > 0 {
            eprintln!(
                "Entra ID reports {} imported object(s) as deleted; left as they are (--check-deleted decides about them)",
                gathered.deleted_in_entra()
            );
        }
    }
    let mut changes = gathered.changes.clone();
    if reimport {
        changes.users.extend(gathered.tombstoned.iter().cloned());
    } else if !gathered.tombstoned.is_empty() && !json {
        eprintln!(
            "{} user(s) deleted on this server left out (--reimport-deleted brings them back): {}",
            gathered.tombstoned.len(),
            gathered
                .tombstoned
                .iter()
                .filter_map(|u| u.user_principal_name.as_deref())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(options) = deleted {
        let mut objects = engine::check_deleted(graph, &imported, &gathered, selection)
            .await
            .map_err(|e| e.to_string())?;
        for o in &mut objects {
            o.action = options.action;
        }
        let total = imported.users.len() + imported.groups.len();
        if !dry_run
            && !options.allow_mass
            && needs_confirmation(&safeguard_of(&connected.organization), &objects, total)
        {
            for o in &objects {
                eprintln!(
                    "{}  {}  ({})",
                    if o.account.is_empty() {
                        "group"
                    } else {
                        o.account.as_str()
                    },
                    o.display_name,
                    o.finding.describe()
                );
            }
            return Err(Failure {
                code: 5,
                message: format!(
                    "{} of the {total} objects imported from this organization would be disabled or deleted; nothing was written. Check the list above, then add --allow-mass-delete",
                    objects.iter().filter(|o| o.action != Action::Keep).count()
                ),
            });
        }
        changes.removals = engine::removals(&objects);
    }
    let started = std::time::Instant::now();
    let (items, failed, summary) = if dry_run {
        let plan = engine::preview(store, &tenant, &changes).map_err(|e| e.to_string())?;
        let items: Vec<_> = plan
            .items
            .iter()
            .map(|i| {
                let (o, d) = describe(&i.outcome, false);
                (
                    i.object_type.to_owned(),
                    i.object_id.clone(),
                    i.display_name.clone(),
                    o,
                    d,
                )
            })
            .collect();
        let summary = format!(
            "Plan (nothing written): {} to create, {} to update, {} unchanged, {} to disable, {} to delete, {} conflicts",
            plan.created, plan.updated, plan.unchanged, plan.disabled, plan.deleted, plan.failed
        );
        (items, plan.failed, summary)
    } else {
        let run = RunInfo {
            tenant_id: tenant.clone(),
            started_by: connected.account.upn.clone(),
        };
        let (report, snapshot) =
            engine::apply(store, &run, &changes, &progress).map_err(|e| e.to_string())?;
        let items: Vec<_> = report
            .items
            .iter()
            .map(|i| {
                let (o, d) = describe(&i.outcome, true);
                (
                    i.object_type.to_owned(),
                    i.object_id.clone(),
                    i.display_name.clone(),
                    o,
                    d,
                )
            })
            .collect();
        let summary = format!(
            "Run #{}: {} created, {} updated, {} unchanged, {} disabled, {} deleted, {} failed in {:.1} s (snapshot before: {})",
            report.run_id,
            report.created,
            report.updated,
            report.unchanged,
            report.disabled,
            report.deleted,
            report.failed,
            started.elapsed().as_secs_f64(),
            snapshot.display()
        );
        (items, report.failed, summary)
    };
    if terminal {
        eprint!("\r\x1b[2K");
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "summary": summary,
                "read": gathered.read.describe(),
                "deleted_in_entra_unchecked": if deleted.is_none() { gathered.deleted_in_entra() } else { 0 },
                "items": outcome_json(&items),
            }))
            .map_err(|e| e.to_string())?
        );
    } else {
        for (kind, _, name, outcome, detail) in items.iter().filter(|i| i.3 != "unchanged") {
            println!(
                "{outcome:<9}  {kind:<5}  {name}{}",
                if detail.is_empty() {
                    String::new()
                } else {
                    format!("  ({detail})")
                }
            );
        }
        println!("{summary}");
    }
    if failed > 0 {
        return Err(Failure {
            code: 3,
            message: String::new(),
        });
    }
    Ok(())
}

fn name(org: &Organization) -> String {
    match (org.display_name.is_empty(), org.primary_domain.is_empty()) {
        (true, _) => org.tenant_id.clone(),
        (false, true) => org.display_name.clone(),
        (false, false) => format!("{} ({})", org.display_name, org.primary_domain),
    }
}

/// An organization by number, tenant ID, domain or name (case-insensitive).
fn find(store: &Store, key: &str) -> Result<Organization, String> {
    let list = store.reader().organizations().map_err(|e| e.to_string())?;
    let key = key.trim();
    let matches: Vec<&Organization> = list
        .iter()
        .filter(|o| {
            o.id.0.to_string() == key
                || o.tenant_id.eq_ignore_ascii_case(key)
                || o.primary_domain.eq_ignore_ascii_case(key)
                || o.display_name.eq_ignore_ascii_case(key)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!("no organization {key:?}; see: aadsync org list")),
        _ => Err(format!(
            "{key:?} matches several organizations; use the number from: aadsync org list"
        )),
    }
}

fn list(store: &Store) -> Result<(), String> {
    let list = store.reader().organizations().map_err(|e| e.to_string())?;
    if list.is_empty() {
        println!(
            "No organizations. Add one with: aadsync org add --tenant … --client-id …  (or --demo)"
        );
        return Ok(());
    }
    println!(
        "{:<4} {:<24} {:<26} {:<38} {:<14} {:<30} LAST SYNC",
        "#", "NAME", "DOMAIN", "TENANT ID", "CLOUD", "ADMINISTRATOR"
    );
    for org in list {
        let cloud = match (org.demo, org.cloud) {
            (true, _) => "offline demo",
            (_, CloudKind::Global) => "global",
            (_, CloudKind::UsGovernment) => "us-government",
            (_, CloudKind::China) => "china",
            (_, CloudKind::Custom) => "custom",
        };
        println!(
            "{:<4} {:<24} {:<26} {:<38} {:<14} {:<30} {}",
            org.id.0,
            org.display_name,
            org.primary_domain,
            org.tenant_id,
            cloud,
            org.admin_upn.as_deref().unwrap_or("-"),
            org.last_sync_at.as_deref().unwrap_or("never"),
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        if let Some(note) = aadsync_sync::freshness::sync_note(
            org.last_sync_at.as_deref(),
            org.delta_taken_at.as_deref(),
            now,
        ) {
            println!(
                "     {}{}",
                if note.warning { "warning: " } else { "" },
                note.text
            );
        }
        println!(
            "     Deletion safeguard: more than {} objects and more than {} %.",
            org.threshold_count, org.threshold_percent
        );
    }
    Ok(())
}

async fn sign_in_and_save(
    store: &Store,
    tokens: &TokenStore,
    policy: &AdminPolicy,
    prepared: &Prepared,
    hint: Option<&str>,
    device_code: bool,
) -> Result<(), String> {
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let signed_in: Result<SignedIn, OrgError> = if device_code {
        let device = DeviceSignIn::start(&prepared.target)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "To sign in, open {} and enter the code {} (valid for {} minutes). Press Ctrl+C to cancel.",
            device.verification_uri(),
            device.user_code(),
            device.expires_in().as_secs() / 60
        );
        device
            .finish(policy.clone(), cancel)
            .await
            .map_err(OrgError::from)
    } else {
        let interactive = Interactive::prepare(&prepared.target, hint)
            .await
            .map_err(|e| e.to_string())?;
        let url = interactive.authorize_url().to_owned();
        match open_browser(&url) {
            Ok(()) => println!(
                "Sign in with your administrator account in the browser window that opened. If none opened, visit:\n{url}\nPress Ctrl+C to cancel."
            ),
            Err(err) => println!("{err}\nOpen this address to sign in:\n{url}"),
        }
        interactive
            .finish(policy.clone(), BROWSER_TIMEOUT, cancel)
            .await
            .map_err(OrgError::from)
    };
    let signed_in = signed_in.map_err(|e| e.to_string())?;
    let connected = orgs::save(store, tokens, prepared, signed_in)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Signed in to {} as {} ({}). Organization #{} saved.",
        name(&connected.organization),
        connected.account.upn,
        connected.account.roles.join(", "),
        connected.organization.id.0
    );
    Ok(())
}
