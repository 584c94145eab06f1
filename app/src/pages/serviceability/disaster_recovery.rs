//! Serviceability > Disaster Recovery: take a backup now (the whole console, encrypted with a
//! passphrase that is never stored), list this node's backups, check one with its passphrase,
//! download one, upload one and restore one (`restore`), or restore with `ccmadmin restore` on
//! the stopped console.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::recovery::{
    get_recovery, BackupNow, CheckBackup, RestoreBackup, SetBackupSchedule,
};
use crate::components::form::{last_error, ErrorBox};
use crate::domain::backups::WEEKDAYS;
use crate::model::recovery::{BackupInfo, BackupSchedule, ScheduleChange};
use crate::pages::serviceability::restore::RestoreSection;

/// Disaster Recovery.
#[component]
pub fn DisasterRecoveryPage() -> impl IntoView {
    let backup = ServerAction::<BackupNow>::new();
    let check = ServerAction::<CheckBackup>::new();
    let save = ServerAction::<SetBackupSchedule>::new();
    let data = Resource::new(
        move || (backup.version().get(), save.version().get()),
        |_| get_recovery(),
    );
    let passphrase = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let chosen = RwSignal::new(String::new());
    let upload_said = RwSignal::new(None::<Result<String, String>>);
    let restore = ServerAction::<RestoreBackup>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        backup.dispatch(BackupNow {
            passphrase: passphrase.get_untracked(),
            confirm: confirm.get_untracked(),
        });
    };
    // The passphrase leaves the form once a backup is taken.
    Effect::new(move |_| {
        if backup.value().get().is_some_and(|r| r.is_ok()) {
            passphrase.set(String::new());
            confirm.set(String::new());
        }
    });
    view! {
        <Title text="Disaster Recovery" />
        <h1>"Disaster Recovery"</h1>
        <p class="note">
            "A backup holds the whole console: the store, the private keys and certificates, and the TFTP folder with the CTL file. "
            "It is encrypted with the passphrase you type here, in the age format (" <code>"age -d"</code> " opens it too). "
            "The console never stores the passphrase: without it the backup cannot be restored. "
            "Restore one below, or stop the console and run " <code>"ccmadmin restore FILE"</code> " (or " <code>"--data-only"</code>
            " to keep this node's keys: the CTL update, restarts and resets that R16 requires are then recorded)."
        </p>
        <h2>"Backup Now"</h2>
        <form class="form" on:submit=submit>
            <label for="backup-passphrase">"Passphrase"</label>
            <input id="backup-passphrase" type="password" autocomplete="new-password" bind:value=passphrase
                minlength="12" maxlength="1024" required aria-describedby="backup-passphrase-hint" />
            <span id="backup-passphrase-hint" class="hint">"12 to 1,024 characters; keep it apart from the backups."</span>
            <label for="backup-confirm">"Confirm Passphrase"</label>
            <input id="backup-confirm" type="password" autocomplete="new-password" bind:value=confirm
                minlength="12" maxlength="1024" required />
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || backup.pending().get()>
                    {move || if backup.pending().get() { "Backing up…" } else { "Backup Now" }}
                </button>
            </div>
        </form>
        <p role="status" class="hint" data-testid="backup-progress">
            {move || backup.pending().get().then_some("Taking the backup: reading the store in one snapshot, then encrypting and writing the file…")}
        </p>
        <ErrorBox error=last_error(backup.value()) />
        {move || backup.value().get().and_then(Result::ok).map(|b| view! {
            <p class="status-box" role="status" data-testid="backup-done">
                <strong>"Done: "</strong>
                {format!("{} written ({} bytes, {} rows, {} files).", b.name, b.size, b.rows, b.files)}
            </p>
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => Either::Left(view! {
                        <h2>"Schedule"</h2>
                        <ScheduleForm schedule=page.schedule save />
                        <h2>"Backups of this node"</h2>
                        {if page.backups.is_empty() {
                            Either::Left(view! { <p>{format!("No backup yet. Backups are kept in {}.", page.folder)}</p> })
                        } else {
                            Either::Right(view! {
                                <p class="hint">{format!("Kept in {}.", page.folder)}</p>
                                <BackupTable backups=page.backups.clone() check />
                            })
                        }}
                        <RestoreSection backups=page.backups uploaded=Callback::new(move |_| data.refetch()) chosen upload_said restore />
                    }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
        <ErrorBox error=last_error(check.value()) />
        {move || check.value().get().and_then(Result::ok).map(|c| view! {
            <p class="status-box" role="status" data-testid="check-done">
                <strong>"Whole: "</strong>
                {format!("{}: {} entries, {} bytes, every hash matches.", c.name, c.entries, c.bytes)}
            </p>
        })}
    }
}

#[component]
fn ScheduleForm(schedule: BackupSchedule, save: ServerAction<SetBackupSchedule>) -> impl IntoView {
    let enabled = RwSignal::new(schedule.enabled);
    let frequency = RwSignal::new(schedule.frequency.clone());
    let weekday = RwSignal::new(schedule.weekday.to_string());
    let time = RwSignal::new(schedule.time.clone());
    let keep = RwSignal::new(schedule.keep.to_string());
    let passphrase = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let version = schedule.version;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = passphrase.get_untracked();
        mismatch.set(typed != confirm.get_untracked());
        if mismatch.get_untracked() {
            return;
        }
        save.dispatch(SetBackupSchedule {
            change: ScheduleChange {
                enabled: enabled.get_untracked(),
                frequency: frequency.get_untracked(),
                weekday: weekday.get_untracked().parse().unwrap_or(0),
                time: time.get_untracked(),
                keep: keep.get_untracked().parse().unwrap_or(0),
                passphrase: (!typed.is_empty()).then_some(typed),
                version,
            },
        });
    };
    let when = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d %H:%M UTC").to_string();
    let state = match (schedule.enabled, schedule.next_run_at) {
        (true, Some(next)) => format!("On: the next backup is taken at {}.", when(next)),
        _ => "Off: no backup is taken on schedule.".to_owned(),
    };
    let last = schedule
        .last_run_at
        .map(|at| match (&schedule.last_backup, &schedule.last_error) {
            (_, Some(why)) => format!("The backup of {} failed: {why}", when(at)),
            (Some(name), None) => format!("The backup of {} was written: {name}.", when(at)),
            (None, None) => format!("The backup of {} is being taken.", when(at)),
        });
    let failed = schedule.last_error.is_some();
    view! {
        <p class="hint" data-testid="schedule-state">{state}</p>
        {last.map(|text| view! {
            <p class=if failed { "warning-box" } else { "hint" } data-testid="schedule-last">{text}</p>
        })}
        <form class="form" on:submit=submit>
            <label class="check">
                <input type="checkbox" prop:checked=move || enabled.get()
                    on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                "Take backups on schedule"
            </label>
            <label for="schedule-frequency">"Frequency"</label>
            <select id="schedule-frequency" on:change=move |ev| frequency.set(event_target_value(&ev))
                prop:value=move || frequency.get()>
                <option value="daily">"Daily"</option>
                <option value="weekly">"Weekly"</option>
            </select>
            <label for="schedule-day">"Day (weekly)"</label>
            <select id="schedule-day" on:change=move |ev| weekday.set(event_target_value(&ev))
                prop:value=move || weekday.get()>
                {WEEKDAYS.iter().enumerate().map(|(i, d)| view! { <option value=(i + 1).to_string()>{*d}</option> }).collect_view()}
            </select>
            <label for="schedule-time">"Time (UTC)"</label>
            <input id="schedule-time" type="time" bind:value=time required />
            <label for="schedule-keep">"Keep the last"</label>
            <input id="schedule-keep" type="number" min="1" max="100" step="1" inputmode="numeric" bind:value=keep required />
            <label for="schedule-passphrase">"Scheduled backups' passphrase"</label>
            <input id="schedule-passphrase" type="password" autocomplete="new-password" bind:value=passphrase maxlength="1024"
                aria-describedby="schedule-passphrase-hint" />
            <span id="schedule-passphrase-hint" class="hint">
                {match (schedule.passphrase_set, schedule.sealed_here) {
                    (true, true) => "One is kept; type a new one to change it. ",
                    (true, false) => "One is kept, sealed for another node (or before a restore): this node takes no scheduled backup until you type it again here. ",
                    (false, _) => "None is kept yet. ",
                }}
                "It is kept sealed under a key in this node's keys folder, so that the console can take backups by itself: whoever holds that folder can open it."
            </span>
            <label for="schedule-confirm">"Confirm scheduled backups' passphrase"</label>
            <input id="schedule-confirm" type="password" autocomplete="new-password" bind:value=confirm maxlength="1024" />
            {move || mismatch.get().then(|| view! {
                <p class="error-box" role="alert"><strong>"Error: "</strong>"Confirm scheduled backups' passphrase: differs from the passphrase"</p>
            })}
            <div class="button-row">
                <button type="submit" disabled=move || save.pending().get()>"Save Schedule"</button>
            </div>
        </form>
        <ErrorBox error=last_error(save.value()) />
    }
}

#[component]
fn BackupTable(backups: Vec<BackupInfo>, check: ServerAction<CheckBackup>) -> impl IntoView {
    let when = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d %H:%M:%S").to_string();
    view! {
        <table class="data-table" data-testid="backups">
            <caption>"Backups, newest first"</caption>
            <thead>
                <tr>
                    <th scope="col">"Taken (UTC)"</th>
                    <th scope="col">"File"</th>
                    <th scope="col">"Size (bytes)"</th>
                    <th scope="col">"Contents"</th>
                    <th scope="col">"Taken By"</th>
                    <th scope="col">"Check"</th>
                    <th scope="col">"Download"</th>
                </tr>
            </thead>
            <tbody>
                {backups.into_iter().map(|b| {
                    let passphrase = RwSignal::new(String::new());
                    let name = b.name.clone();
                    let field = format!("check-{}", b.name);
                    let on_check = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        check.dispatch(CheckBackup { name: name.clone(), passphrase: passphrase.get_untracked() });
                    };
                    view! {
                        <tr>
                            <td>{when(b.created_at)}</td>
                            <td><code>{b.name.clone()}</code></td>
                            <td>{b.size}</td>
                            <td>{if b.backend.is_empty() {
                                "Not known until checked".to_owned()
                            } else {
                                format!("{} rows, {} files ({} store, schema {})", b.rows, b.files, b.backend, b.schema)
                            }}</td>
                            <td>{b.taken_by.clone()}</td>
                            <td>
                                <form class="inline-form" on:submit=on_check>
                                    <label for=field.clone() class="visually-hidden">{format!("Passphrase of {}", b.name)}</label>
                                    <input id=field type="password" autocomplete="off" bind:value=passphrase maxlength="1024" required />
                                    <button type="submit" disabled=move || check.pending().get()>"Check"</button>
                                </form>
                            </td>
                            <td>
                                <a href=format!("/api/v1/backups/{}", b.name) download=b.name.clone()
                                    aria-label=format!("Download {}", b.name)>"Download"</a>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
