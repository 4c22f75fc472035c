//! Restore backup…: the backups that can be restored, one chosen, what restoring it means,
//! and Restore.

use crate::components::dialog::Dialog;
use crate::components::error::{ErrorMessage, failure};
use crate::ipc;
use aadsync_ipc::{BackupView, ListBackups, NoArgs, RestoreBackup, RestoreBackupArgs};
use leptos::prelude::*;

/// Chooses a backup and restores it.
///
/// - `on_close`: Cancel, Escape or the close button.
/// - `on_restored`: the backup was restored: the backup and the run recorded for it; the
///   caller closes the dialog.
#[component]
pub fn RestoreDialog(
    #[prop(into)] on_close: Callback<()>,
    #[prop(into)] on_restored: Callback<(BackupView, i64)>,
) -> impl IntoView {
    let backups = LocalResource::new(|| ipc::call::<ListBackups>(&NoArgs {}));
    let chosen = RwSignal::new(None::<BackupView>);
    let restore = Action::new_unsync(move |backup: &BackupView| {
        let backup = backup.clone();
        async move {
            let args = RestoreBackupArgs {
                path: backup.path.clone(),
            };
            let answer = ipc::call::<RestoreBackup>(&args).await;
            if let Ok(run) = answer {
                on_restored.run((backup, run));
            }
            answer
        }
    });
    let pending = restore.pending();
    view! {
        <Dialog id="restore-dialog" title="Restore backup" on_close=on_close wide=true>
            <div class="dialog-body restore">
                {move || match backups.get() {
                    None => view! { <p class="muted">"Reading the backups…"</p> }.into_any(),
                    Some(Err(err)) => view! { <ErrorMessage id="restore-list-error" message=Some(err.message) /> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! {
                        <p id="restore-none" class="muted">"No backups yet: Back up now writes one."</p>
                    }.into_any(),
                    Some(Ok(list)) => backups_table(list, chosen).into_any(),
                }}
                {move || chosen.get().map(|b| view! {
                    <div class="confirm"><p id="restore-explanation">{explanation(&b)}</p></div>
                })}
                <ErrorMessage id="restore-error" message=failure(restore) />
            </div>
            <div class="dialog-buttons">
                <button
                    id="restore-confirm"
                    class="danger"
                    disabled=move || pending.get() || chosen.with(Option::is_none)
                    on:click=move |_| {
                        if let Some(backup) = chosen.get_untracked() {
                            restore.dispatch(backup);
                        }
                    }
                >
                    "Restore"
                </button>
                <button id="restore-cancel" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Dialog>
    }
}

/// The backups, newest first; a click chooses one.
fn backups_table(list: Vec<BackupView>, chosen: RwSignal<Option<BackupView>>) -> impl IntoView {
    view! {
        <p class="lead">"Choose the backup to go back to:"</p>
        <div class="table-scroll" tabindex="0" role="region" aria-label="Backups">
            <table class="outcomes" id="restore-backups">
                <thead><tr><th></th><th>"Kind"</th><th>"Taken"</th><th>"Size"</th><th>"File"</th></tr></thead>
                <tbody>
                    {list.into_iter().enumerate().map(|(i, b)| backup_row(i, b, chosen)).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn backup_row(i: usize, b: BackupView, chosen: RwSignal<Option<BackupView>>) -> impl IntoView {
    let path = b.path.clone();
    let is_chosen = {
        let path = path.clone();
        move || chosen.with(|c| c.as_ref().is_some_and(|c| c.path == path))
    };
    let kind = match b.kind.as_str() {
        "backup" => "Full backup",
        "snapshot" => "Snapshot before a run",
        other => other,
    }
    .to_owned();
    let when = when(&b.taken_at);
    let size = size_text(b.bytes);
    let choose = move |_| chosen.set(Some(b.clone()));
    let (checked, data_path) = (is_chosen.clone(), path.clone());
    view! {
        <tr
            class="selectable restore-backup"
            class:selected=is_chosen
            id=format!("restore-backup-{i}")
            data-path=data_path
            on:click=choose
        >
            <td>
                <input type="radio" name="restore-backup" aria-label=format!("Backup {}", i + 1) prop:checked=checked />
            </td>
            <td>{kind}</td>
            <td>{when}</td>
            <td>{size}</td>
            <td class="path">{path}</td>
        </tr>
    }
}

/// A stored UTC time in local time with its offset.
fn when(iso: &str) -> String {
    crate::time::local(iso)
}

/// What restoring `backup` means, in one sentence.
fn explanation(backup: &BackupView) -> String {
    format!(
        "Users, groups and memberships go back to how they were in the backup of {}; \
         what changed since is replaced. The audit log keeps every run and records the restore.",
        when(&backup.taken_at)
    )
}

/// A file size as people read it: "912 bytes", "47 KB", "1.4 MB".
fn size_text(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = KB * 1024;
    const GB: u64 = MB * 1024;
    let tenths = |unit: u64| (bytes * 10 + unit / 2) / unit;
    match bytes {
        b if b < KB => format!("{b} bytes"),
        b if b < MB => format!("{} KB", b / KB),
        b if b < GB => format!("{}.{} MB", tenths(MB) / 10, tenths(MB) % 10),
        _ => format!("{}.{} GB", tenths(GB) / 10, tenths(GB) % 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        for (bytes, expected) in [
            (0, "0 bytes"),
            (1023, "1023 bytes"),
            (1024, "1 KB"),
            (49_000, "47 KB"),
            (1024 * 1024 - 1, "1023 KB"),
            (1024 * 1024, "1.0 MB"),
            (1_468_006, "1.4 MB"),
            (3 * 1024 * 1024 * 1024 / 2, "1.5 GB"),
        ] {
            assert_eq!(size_text(bytes), expected, "{bytes}");
        }
    }

    #[test]
    fn the_explanation_names_the_backup_and_the_audit_log() {
        let text = explanation(&BackupView {
            path: "/data/backup.sqlite3".into(),
            kind: "backup".into(),
            taken_at: "2026-11-30T10:04:05Z".into(),
            bytes: 1,
        });
        assert!(
            text.starts_with("Users, groups and memberships go back"),
            "{text}"
        );
        assert!(
            text.contains("backup of 2026-11-30 10:04 UTC+00:00"),
            "{text}"
        );
        assert!(text.contains("The audit log keeps every run"), "{text}");
    }
}
