//! Serviceability > Disaster Recovery, the Restore section: upload a backup into this node's
//! backups folder, then restore one of them with its passphrase — whole (a failed publisher
//! replaced) or data-only (this node keeps its keys; R16's actions are recorded). The backup is
//! checked whole first, so a wrong passphrase or a damaged file is refused on this page and
//! changes nothing; then the console answers 503 while it restores and restarts into it.

use leptos::prelude::*;

use crate::api::recovery::RestoreBackup;
use crate::components::form::{last_error, ErrorBox};
use crate::model::recovery::BackupInfo;

/// The upload's route (the body is the file).
#[cfg(feature = "hydrate")]
const UPLOAD: &str = "/api/v1/backups/upload";

/// Sends the file chosen in `input` to the console; the uploaded backup's name, or the refusal.
#[cfg(feature = "hydrate")]
async fn upload(input: NodeRef<leptos::html::Input>) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    let file = input
        .get_untracked()
        .and_then(|i| i.files())
        .and_then(|list| list.get(0))
        .ok_or_else(|| "Backup File: choose a backup file first.".to_owned())?;
    let failed = |_| "The upload failed: the console did not answer.".to_owned();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&file.into());
    let headers = web_sys::Headers::new().map_err(failed)?;
    headers
        .set("content-type", "application/octet-stream")
        .map_err(failed)?;
    init.set_headers(&headers.into());
    let window = web_sys::window().ok_or_else(|| "No browser window.".to_owned())?;
    let answer =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str_and_init(UPLOAD, &init))
            .await
            .map_err(failed)?;
    let response: web_sys::Response = answer.dyn_into().map_err(failed)?;
    let text = wasm_bindgen_futures::JsFuture::from(response.text().map_err(failed)?)
        .await
        .map_err(failed)?
        .as_string()
        .unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if response.ok() {
        Ok(body["name"].as_str().unwrap_or_default().to_owned())
    } else {
        Err(body["error"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("The upload was refused ({}).", response.status())))
    }
}

/// On the server the button does nothing: it acts once the page is hydrated.
#[cfg(not(feature = "hydrate"))]
async fn upload(_input: NodeRef<leptos::html::Input>) -> Result<String, String> {
    Err("The page is still loading; try again in a moment.".to_owned())
}

/// The Restore section; `uploaded` is called with the new backup's name after an upload.
#[component]
pub fn RestoreSection(
    /// This node's backups, newest first.
    backups: Vec<BackupInfo>,
    /// Called after an upload, with the uploaded backup's name (the page lists it again).
    uploaded: Callback<String>,
    /// The backup chosen to restore (kept across the list's reloads).
    chosen: RwSignal<String>,
    /// What the last upload said (kept across the list's reloads).
    upload_said: RwSignal<Option<Result<String, String>>>,
    /// The restore (kept across the list's reloads).
    restore: ServerAction<RestoreBackup>,
) -> impl IntoView {
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let uploading = RwSignal::new(false);
    let passphrase = RwSignal::new(String::new());
    let data_only = RwSignal::new(false);
    if chosen.get_untracked().is_empty() {
        if let Some(first) = backups.first() {
            chosen.set(first.name.clone());
        }
    }
    let on_upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        uploading.set(true);
        upload_said.set(None);
        leptos::task::spawn_local(async move {
            let said = upload(file_ref).await;
            uploading.set(false);
            let name = said.as_ref().ok().cloned();
            upload_said.set(Some(said));
            if let Some(name) = name {
                chosen.set(name.clone());
                uploaded.run(name);
            }
        });
    };
    let on_restore = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = chosen.get_untracked();
        let what = if data_only.get_untracked() {
            "a data-only restore: this node keeps its own keys, and the CTL update, restarts and resets R16 requires are recorded"
        } else {
            "a full restore: the store, the keys, the certificates and the TFTP files are replaced"
        };
        let question = format!(
            "Restore {name}? This is {what}. The console stops answering while it restores, then restarts into the backup; everyone logs in again."
        );
        if window().confirm_with_message(&question).unwrap_or(false) {
            restore.dispatch(RestoreBackup {
                name,
                passphrase: passphrase.get_untracked(),
                data_only: data_only.get_untracked(),
            });
        }
    };
    // Once the restore is staged the console restarts: the login page follows (the maintenance
    // page reloads itself meanwhile).
    Effect::new(move |_| {
        if restore.value().get().is_some_and(|r| r.is_ok()) {
            passphrase.set(String::new());
            set_timeout(
                || {
                    let _ = window().location().set_href("/login");
                },
                std::time::Duration::from_secs(3),
            );
        }
    });
    view! {
        <h2>"Restore"</h2>
        <p class="note">
            "Upload a backup to this node, or choose one of its backups, and restore it with its passphrase. "
            "The whole backup is checked first: a wrong passphrase or a damaged file changes nothing. "
            "While it restores, the console answers every request with a maintenance page; then it restarts into the backup, and everyone logs in again with the backup's users."
        </p>
        <form class="form" on:submit=on_upload>
            <label for="restore-upload">"Backup File"</label>
            <input id="restore-upload" type="file" accept=".age" node_ref=file_ref required />
            <div class="button-row">
                <button type="submit" disabled=move || uploading.get()>
                    {move || if uploading.get() { "Uploading…" } else { "Upload" }}
                </button>
            </div>
        </form>
        {move || upload_said.get().map(|said| match said {
            Ok(name) => view! {
                <p class="status-box" role="status" data-testid="upload-done"><strong>"Uploaded: "</strong>{name}</p>
            }.into_any(),
            Err(why) => view! {
                <p class="error-box" role="alert"><strong>"Error: "</strong>{why}</p>
            }.into_any(),
        })}
        <form class="form" on:submit=on_restore>
            <label for="restore-backup">"Backup"</label>
            <select id="restore-backup" required
                on:change=move |ev| chosen.set(event_target_value(&ev))
                prop:value=move || chosen.get()>
                {backups.iter().map(|b| view! {
                    <option value=b.name.clone()>{b.name.clone()}</option>
                }).collect_view()}
            </select>
            <label for="restore-passphrase">"Passphrase of the Backup"</label>
            <input id="restore-passphrase" type="password" autocomplete="off" bind:value=passphrase maxlength="1024" required />
            <label class="check">
                <input type="checkbox" prop:checked=move || data_only.get()
                    on:change=move |ev| data_only.set(event_target_checked(&ev)) />
                "Data only: this node keeps its own keys (R16)"
            </label>
            <div class="button-row">
                <button type="submit" class="danger" disabled=move || restore.pending().get() || chosen.get().is_empty()>
                    {move || if restore.pending().get() { "Checking the backup…" } else { "Restore" }}
                </button>
            </div>
        </form>
        <ErrorBox error=last_error(restore.value()) />
        {move || restore.value().get().and_then(Result::ok).map(|r| view! {
            <div class="status-box" role="status" data-testid="restore-started">
                <p><strong>"Restoring: "</strong>{format!("{} is whole and opens with its passphrase. The console now answers with a maintenance page while it restores, then restarts into it and asks you to log in.", r.name)}</p>
                <ul>
                    {r.required_actions.into_iter().map(|a| view! { <li><strong>"Required: "</strong>{a}</li> }).collect_view()}
                </ul>
            </div>
        })}
    }
}
