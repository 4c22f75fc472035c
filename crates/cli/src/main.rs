//! `aadsync`, the command line: organizations, administrator sign-in and synchronizations on
//! the same database and keyring as the desktop app. Each subcommand group is a module; this
//! one parses, opens what they need, and turns their result into an exit code.

#[macro_use]
mod term;
mod args;
mod attempt;
mod audit;
mod backups;
mod directory;
mod exit;
mod orgs;
mod register;
mod registration;
mod resolve;
mod schedule;
mod scope;
mod signin;
mod sync;

use crate::args::{Cli, Command, DeletedArg};
use crate::exit::{CliError, CliResult};
use crate::signin::Signins;
use aadsync_directory::graph::GraphClient;
use aadsync_store::{OpenOptions, Store};
use aadsync_sync::deleted::Action;
use aadsync_sync::engine::Selection;
use aadsync_sync::run::RunRequest;
use clap::{CommandFactory, Parser};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Same place as the desktop app (Tauri's app-data directory for its identifier).
pub(crate) const APP_IDENTIFIER: &str = aadsync_schedule::APP_IDENTIFIER;
const DATABASE_FILE: &str = "aadsync.sqlite3";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AADSYNC_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(term::diagnostics)
        .init();
    let cli = Cli::parse();
    if let Some(log) = &cli.log {
        if let Err(err) = term::log_to(log) {
            tell!("aadsync: cannot write the log {}: {err}", log.display());
            return ExitCode::FAILURE;
        }
        let args: Vec<String> = std::env::args().skip(1).collect();
        tell!(
            "started (process {}): aadsync {}",
            std::process::id(),
            args.join(" ")
        );
    }
    let logged = cli.log.is_some();
    let code = match run(cli).await {
        Ok(()) => 0,
        Err(err) => {
            if !err.message.is_empty() {
                tell!("aadsync: {}", err.message);
            }
            err.exit as u8
        }
    };
    if logged {
        tell!("finished with exit code {code}");
    }
    ExitCode::from(code)
}

fn database_path(explicit: Option<PathBuf>) -> Result<PathBuf, CliError> {
    match explicit {
        Some(path) => Ok(path),
        None => dirs::data_dir()
            .map(|d| d.join(APP_IDENTIFIER).join(DATABASE_FILE))
            .ok_or_else(|| {
                "cannot find the user data directory: pass --db"
                    .to_owned()
                    .into()
            }),
    }
}

fn open_store(path: &Path) -> Result<Store, CliError> {
    if let Some(parent) = path.parent() {
        aadsync_store::private::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    Store::open(path, &OpenOptions::default()).map_err(CliError::failed)
}

async fn run(cli: Cli) -> CliResult {
    if let Some(done) = generate(&cli.command) {
        return done;
    }
    let database = database_path(cli.db)?;
    let scheduled = matches!(
        cli.command,
        Command::Sync {
            scheduled: true,
            ..
        }
    );
    let store = Arc::new(
        open_store(&database).map_err(|e| if scheduled { attempt::unopened(e) } else { e })?,
    );
    let signins = Signins::platform();
    match cli.command {
        Command::Org(command) => orgs::org(&store, &signins, command).await,
        Command::Login { org, device_code } => {
            orgs::login(&store, &signins, &org, device_code).await
        }
        Command::Whoami { org } => orgs::whoami(&store, &signins, org.as_deref()).await,
        Command::Runs { json } => audit::runs(&store, json),
        Command::Completions { .. } | Command::Man => Ok(()), // generated above
        Command::Schedule(command) => schedule::schedule(&store, &database, command),
        Command::Undo { run, yes, answer } => audit::undo(&store, run, yes.then_some(answer)),
        Command::Backup => backups::backup(&store),
        Command::Backups { json } => backups::list(&store, json),
        Command::RestoreBackup { path, yes } => backups::restore(&store, &path, yes),
        Command::Scope { org, json } => scope::list(&store, &orgs::find(&store, &org)?, json),
        Command::ReverseDecision { org, user } => {
            audit::reverse_decision(&store, &orgs::find(&store, &org)?, &user)
        }
        Command::List {
            what,
            org,
            search,
            json,
        } => {
            let (connected, graph) = connect(&store, &signins, &org).await?;
            directory::list(&connected, &graph, what, search.as_deref(), json).await
        }
        command @ Command::Sync { .. } => {
            let org = match &command {
                Command::Sync { org, .. } => org.clone(),
                _ => String::new(),
            };
            let started = scheduled.then(|| attempt::start(&store));
            let result = sync_command(store.clone(), &signins, command).await;
            match started {
                Some(started) => attempt::record(&store, &org, &started, result),
                None => result,
            }
        }
    }
}

/// `aadsync sync`: the flags as a request, then the synchronization.
async fn sync_command(store: Arc<Store>, signins: &Signins, command: Command) -> CliResult {
    let Command::Sync {
        org,
        users,
        groups,
        members,
        nested,
        remove,
        dry_run,
        full,
        json,
        check_deleted,
        deleted_action,
        allow_mass_delete,
        reimport_deleted,
        links,
        import_as,
        scheduled,
    } = command
    else {
        return Err("not a synchronization".to_owned().into());
    };
    let (connected, graph) = connect(&store, signins, &org).await?;
    let remove = scope::saved_roots(&store, &connected.organization, remove)?;
    let request = RunRequest {
        selection: Selection {
            users,
            groups,
            members,
            nested,
            remove,
            ..Default::default()
        },
        check_deleted,
        full,
    };
    let options = sync::SyncOptions {
        deleted: check_deleted.then_some(sync::DeletedOptions {
            action: action(deleted_action),
            allow_mass: allow_mass_delete,
        }),
        reimport: reimport_deleted,
        dry_run,
        json,
        scheduled,
    };
    let requested = resolve::Requested { links, import_as };
    sync::sync(store, &graph, &connected, request, options, &requested).await
}

/// Completions and the man page, generated from the definitions alone: no database is opened
/// for them. `None` for every other command.
fn generate(command: &Command) -> Option<CliResult> {
    match command {
        Command::Completions { shell } => Some(generated(|out| {
            clap_complete::generate(*shell, &mut Cli::command(), "aadsync", out);
            Ok(())
        })),
        Command::Man => Some(generated(|out| {
            clap_mangen::Man::new(Cli::command()).render(out)
        })),
        _ => None,
    }
}

/// The deleted-objects action as the IPC contract (and a schedule) names it.
fn deleted_action(deleted: DeletedArg) -> aadsync_ipc::DeletedAction {
    match deleted {
        DeletedArg::Keep => aadsync_ipc::DeletedAction::Keep,
        DeletedArg::Disable => aadsync_ipc::DeletedAction::Disable,
        DeletedArg::Delete => aadsync_ipc::DeletedAction::Delete,
    }
}

fn action(deleted: DeletedArg) -> Action {
    match deleted {
        DeletedArg::Keep => Action::Keep,
        DeletedArg::Disable => Action::Disable,
        DeletedArg::Delete => Action::Delete,
    }
}

/// Writes what `write` generates to stdout. Generated into memory first: clap_complete
/// panics on a write error, and `aadsync completions bash | head` closes the pipe early.
fn generated(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> CliResult {
    use std::io::Write;
    let mut text = Vec::new();
    write(&mut text).map_err(|e| format!("cannot generate the output: {e}"))?;
    match std::io::stdout().lock().write_all(&text) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the output: {e}").into())
        }
        _ => Ok(()),
    }
}

/// The organization `key` names, connected, with a Graph client for it.
async fn connect(
    store: &Store,
    signins: &Signins,
    key: &str,
) -> Result<(aadsync_sync::Connected, GraphClient), CliError> {
    let org = orgs::find(store, key)?;
    let connected = orgs::connect(&org, signins).await?;
    let graph = GraphClient::new(connected.session.clone()).map_err(CliError::failed)?;
    Ok((connected, graph))
}
