//! The command line as clap parses it: subcommands, their options and help texts.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "aadsync",
    version = aadsync_ipc::VERSION_LINE,
    about = "Synchronize Microsoft Entra ID users and groups into the server's user database"
)]
pub struct Cli {
    /// The database file (default: the desktop app's; also AADSYNC_DB).
    #[arg(long, global = true, env = "AADSYNC_DB")]
    pub db: Option<PathBuf>,
    /// Append the output to FILE instead of printing it, each line with its time (what a
    /// schedule runs).
    #[arg(long, global = true, hide = true, value_name = "FILE")]
    pub log: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Undo a synchronization: its own changes are reverted, nothing else.
    ///
    /// Without --yes: what the undo would revert, and every row changed since the run that it
    /// would meet (a conflict), with a token. Conflicts keep their newer value unless
    /// --restore-all or --restore ID says otherwise. With --token, the undo refuses (exit 1,
    /// nothing written) when the database changed since that preview.
    Undo {
        /// The run to undo (any synchronization not undone yet).
        #[arg(long)]
        run: i64,
        /// Do it (without: show the preview).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        answer: UndoAnswer,
    },
    /// Write the one full backup of the database now (replacing the previous one) and print
    /// its path.
    ///
    /// It goes to a folder only this database uses, named after it: <db file>.backups/.
    Backup,
    /// List the backups a restore accepts, newest first.
    ///
    /// The one backup, and the snapshots earlier versions took before each synchronization
    /// (while they exist). Nothing else in those folders is listed, restored or deleted.
    Backups {
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup as a whole (one that `aadsync backups` lists).
    ///
    /// Users (local ones too), groups, memberships, tombstones and scope become the backup's,
    /// and so do the decisions in force. Organizations and the audit log are kept, the restore
    /// is recorded as a run, and the next synchronization compares everything.
    RestoreBackup {
        /// One of the paths `aadsync backups` lists.
        path: PathBuf,
        /// Do it (without: show what it would do).
        #[arg(long)]
        yes: bool,
    },
    /// List an organization's saved scope: the users and groups every synchronization
    /// imports (a plain `aadsync sync --org X` synchronizes it; `sync --remove` takes a root
    /// out).
    Scope {
        #[arg(long)]
        org: String,
        #[arg(long)]
        json: bool,
    },
    /// Reverse the decision in force about an imported user (made with --check-deleted): a
    /// user it kept disabled follows Entra ID again.
    ReverseDecision {
        #[arg(long)]
        org: String,
        /// The user's object ID or user principal name.
        #[arg(long)]
        user: String,
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
        /// Take a user or group out of the saved scope (its object ID, as `aadsync scope`
        /// lists it; repeatable). The users it reached are left as they are unless
        /// --check-deleted decides about them; with --dry-run, see who they are.
        #[arg(long = "remove")]
        remove: Vec<String>,
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
        /// Resolve an account-name conflict by linking the Entra ID user (object ID or UPN) to
        /// the local user holding its account name, which becomes an Azure AD user
        /// (repeatable): `--link ann@contoso.com=ann@contoso.com`.
        #[arg(long = "link", value_name = "USER=LOCAL_ACCOUNT", value_parser = crate::resolve::pair)]
        links: Vec<(String, String)>,
        /// Resolve an account-name conflict by importing the Entra ID user (object ID or UPN)
        /// under another account name, kept by later runs (repeatable).
        #[arg(long = "import-as", value_name = "USER=ACCOUNT_NAME", value_parser = crate::resolve::pair)]
        import_as: Vec<(String, String)>,
        /// Started by a schedule (`aadsync schedule add`): recorded as such in the audit log.
        #[arg(long, hide = true)]
        scheduled: bool,
    },
    /// Print the shell completion script for bash, zsh, fish, elvish or PowerShell
    /// (e.g. `aadsync completions bash > /etc/bash_completion.d/aadsync`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), generated from this command line's own help.
    #[command(hide = true)]
    Man,
    /// Synchronize an organization on a schedule, unattended: a systemd user timer on Linux,
    /// a launchd agent on macOS, a Task Scheduler task on Windows.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Run `aadsync sync --org X` every interval, with the organization's saved scope and
    /// stored sign-in. The deletion safeguard applies: a run that would exceed it stops and
    /// records why.
    Add {
        #[arg(long)]
        org: String,
        /// How often: 30m, 6h, 1d … (15m to 7d).
        #[arg(long)]
        every: aadsync_schedule::every::Every,
        /// Also handle users imported earlier that Entra ID deleted, disabled or no longer
        /// puts in scope.
        #[arg(long)]
        check_deleted: bool,
        /// What to do with them on the server.
        #[arg(long, value_enum, default_value_t = DeletedArg::Disable, requires = "check_deleted")]
        deleted_action: DeletedArg,
        /// Print the job's files instead of installing them.
        #[arg(long)]
        print: bool,
    },
    /// The installed schedules and each one's last run.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an organization's schedule.
    Remove {
        #[arg(long)]
        org: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeletedArg {
    Keep,
    Disable,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListWhat {
    Users,
    Groups,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// List the stored organizations.
    List,
    /// Sign in to a new organization as an administrator and store it.
    Add {
        /// Tenant ID (GUID) or verified domain.
        #[arg(long, required_unless_present = "demo")]
        tenant: Option<String>,
        /// Application (client) ID of the app registration.
        #[arg(long, required_unless_present_any = ["demo", "consent"])]
        client_id: Option<String>,
        /// Add the aadsync application to the tenant first: an administrator who may consent
        /// for the organization accepts its permissions in the browser (admin consent to the
        /// publisher's multi-tenant application, client ID from AADSYNC_PUBLISHER_CLIENT_ID or
        /// aadsync's own), then signs in with it as usual.
        #[arg(long, conflicts_with_all = ["client_id", "demo", "device_code"])]
        consent: bool,
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
    /// Register aadsync in the tenant (an app registration of its own) and store the
    /// organization with it: an administrator (Application Administrator, Cloud Application
    /// Administrator or Global Administrator) signs in with the publisher's application and
    /// accepts Application.ReadWrite.All and DelegatedPermissionGrant.ReadWrite.All; the
    /// preview lists exactly what will be created (the application, its enterprise
    /// application, admin consent); then the usual sign-in with the new client ID. Running it
    /// again creates nothing twice.
    Register {
        /// Tenant ID (GUID) or verified domain.
        #[arg(long)]
        tenant: String,
        #[arg(long, value_enum, default_value_t = CloudArg::Global)]
        cloud: CloudArg,
        /// Authority host for --cloud custom, e.g. https://login.example.com.
        #[arg(long, required_if_eq("cloud", "custom"))]
        authority: Option<String>,
        /// Graph root for --cloud custom (default: the authority host).
        #[arg(long)]
        graph: Option<String>,
        /// Create what the preview lists without asking (needed when not on a terminal).
        #[arg(long, conflicts_with = "dry_run")]
        yes: bool,
        /// Show the preview and create nothing.
        #[arg(long)]
        dry_run: bool,
        /// Show a code to enter at the sign-in page instead of opening a browser.
        #[arg(long)]
        device_code: bool,
    },
    /// Check the organization's app registration (redirect URI, public client flows, each
    /// permission, admin consent) with its saved sign-in; exit 8 when something aadsync needs
    /// is missing or wrong. Each finding comes with its fix.
    Check {
        /// The organization: its number, tenant ID, domain or name.
        #[arg(long)]
        org: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
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
pub enum CloudArg {
    Global,
    /// Government Community Cloud (the global endpoints).
    Gcc,
    /// US Government L4; `us-government` is what earlier versions called it.
    #[value(alias = "us-government")]
    GccHigh,
    /// US Government L5 (Department of Defense).
    Dod,
    China,
    Custom,
}

/// What `aadsync undo --yes` is told about the preview and its conflicts.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct UndoAnswer {
    /// The token the preview printed: refuse when the database changed since.
    #[arg(long)]
    pub token: Option<String>,
    /// Restore the values from before the run for every conflict.
    #[arg(long, conflicts_with = "restore")]
    pub restore_all: bool,
    /// Restore the values from before the run for these conflicts (IDs from the preview).
    #[arg(long, value_delimiter = ',')]
    pub restore: Vec<u32>,
}
