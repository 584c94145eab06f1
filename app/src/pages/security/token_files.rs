//! Security > Certificates, the security tokens kept offline: export a token (SAST) as a token
//! file with its own passphrase, then remove its key from the server once the file is shown to
//! open. Shown to admins who hold the cluster's keys (Full Access to System, Serviceability and
//! UserPrivilegeManagement).

use leptos::prelude::*;

use crate::api::security::{ExportToken, TakeTokenOffline};
use crate::components::file::{read_chosen_text, Chosen};
use crate::components::form::{last_error, query_escape, ErrorBox};
use crate::model::security::{CertificateInfo, TokenUpload, TOKEN_FILE_MAX};

/// The token file input's limits and messages (the server checks again).
const TOKEN_FILE: Chosen = Chosen {
    missing: "Choose the token file you exported first.",
    max_bytes: TOKEN_FILE_MAX as u64,
    limit_of: "a token file",
};

/// `text` as a `data:` URL the browser saves as a file.
fn data_url(text: &str) -> String {
    format!("data:application/octet-stream,{}", query_escape(text))
}

/// The export and removal forms for the security tokens among `certificates`; `changed` is
/// called after a key left the server.
#[component]
pub fn OfflineTokens(
    /// Every certificate; the security tokens among them are shown.
    certificates: Vec<CertificateInfo>,
    /// Called after a key left the server (the page reloads its list).
    changed: Callback<()>,
) -> impl IntoView {
    let tokens: Vec<CertificateInfo> = certificates
        .into_iter()
        .filter(|c| c.role.key() == "sast")
        .collect();
    view! {
        <section data-testid="offline-tokens">
            <h2>"Security Tokens Kept Offline"</h2>
            <p class="hint">
                "A security token signs the CTL file. Export it as a token file (encrypted with a passphrase of its own), keep the file away from this server, then remove the key from the server: a CTL operation signed by that token then asks for the file and its passphrase, uses them for that one signature and forgets them. "
                "Backups taken before the removal still hold the key: keep them as safely as the token file, or delete them."
            </p>
            <div class="offline-tokens">
                {tokens.into_iter().map(|t| view! { <TokenRow token=t changed /> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn TokenRow(token: CertificateInfo, changed: Callback<()>) -> impl IntoView {
    let (id, version, name) = (token.id, token.version, token.name.clone());
    let export = ServerAction::<ExportToken>::new();
    let remove = ServerAction::<TakeTokenOffline>::new();
    let passphrase = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let remove_passphrase = RwSignal::new(String::new());
    let file_problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if remove.value().get().is_some_and(|r| r.is_ok()) {
            remove_passphrase.set(String::new());
            changed.run(());
        }
    });
    Effect::new(move |_| {
        if export.value().get().is_some_and(|r| r.is_ok()) {
            passphrase.set(String::new());
            again.set(String::new());
        }
    });
    let on_export = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (first, second) = (passphrase.get_untracked(), again.get_untracked());
        mismatch.set(first != second);
        if first == second {
            export.dispatch(ExportToken {
                id,
                passphrase: first,
            });
        }
    };
    let confirm_text = format!(
        "Remove the key of {name} from this server? From then on only the token file can sign as {name}: if it or its passphrase is lost, the CTL can be updated only with the other token, or by clearing every phone's CTL by hand."
    );
    let on_remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        file_problem.set(None);
        if !window()
            .confirm_with_message(&confirm_text)
            .unwrap_or(false)
        {
            return;
        }
        leptos::task::spawn_local(async move {
            match read_chosen_text(file_ref, TOKEN_FILE).await {
                Ok(file) => {
                    remove.dispatch(TakeTokenOffline {
                        id,
                        version,
                        token: TokenUpload {
                            file,
                            passphrase: remove_passphrase.get_untracked(),
                        },
                    });
                }
                Err(problem) => file_problem.set(Some(problem)),
            }
        });
    };
    let key = match token.key_offline_at {
        Some(since) => format!("offline since {}", since.format("%Y-%m-%d %H:%M UTC")),
        None => "on this server".to_owned(),
    };
    let online = token.key_offline_at.is_none();
    let export_id = format!("export-{id}");
    let again_id = format!("export-again-{id}");
    let file_id = format!("offline-file-{id}");
    let remove_pass_id = format!("offline-passphrase-{id}");
    view! {
        <article class="token" data-testid=format!("token-{name}")>
            <h3>{name.clone()}</h3>
            <p data-testid="token-key"><strong>"Key: "</strong>{key}</p>
            {online.then(|| view! {
                <form class="form" on:submit=on_export>
                    <fieldset>
                        <legend>{format!("Export {name} as a token file")}</legend>
                        <label for=export_id.clone()>"Export Passphrase"</label>
                        <input id=export_id type="password" autocomplete="new-password" minlength="12" maxlength="1024"
                            prop:value=move || passphrase.get()
                            on:input=move |ev| passphrase.set(event_target_value(&ev)) />
                        <label for=again_id.clone()>"Export Passphrase Again"</label>
                        <input id=again_id type="password" autocomplete="new-password" maxlength="1024"
                            prop:value=move || again.get()
                            on:input=move |ev| again.set(event_target_value(&ev)) />
                        <p class="hint">"At least 12 characters. The console does not keep it: without it the file cannot be used."</p>
                        {move || mismatch.get().then(|| view! { <p class="error-box" role="alert"><strong>"Export Passphrase Again: "</strong>"differs from the passphrase."</p> })}
                        <div class="button-row">
                            <button type="submit" disabled=move || export.pending().get()>{format!("Export {name}")}</button>
                        </div>
                    </fieldset>
                </form>
                <ErrorBox error=last_error(export.value()) />
                {move || export.value().get().and_then(Result::ok).map(|e| view! {
                    <p class="status-box" role="status" data-testid="token-export">
                        <strong>"Exported: "</strong>
                        <a href=data_url(&e.file) download=e.file_name.clone()>{format!("Save {}", e.file_name)}</a>
                        " — keep it away from this server, then remove the key below."
                    </p>
                })}
                <form class="form" on:submit=on_remove>
                    <fieldset>
                        <legend>{format!("Remove the key of {name} from this server")}</legend>
                        <p class="hint">"Choose the exported token file and enter its passphrase: the key is removed only once the file is shown to open."</p>
                        <label for=file_id.clone()>"Token File"</label>
                        <input id=file_id type="file" accept=".token,text/plain" node_ref=file_ref />
                        <label for=remove_pass_id.clone()>"Token File Passphrase"</label>
                        <input id=remove_pass_id type="password" autocomplete="off" maxlength="1024"
                            prop:value=move || remove_passphrase.get()
                            on:input=move |ev| remove_passphrase.set(event_target_value(&ev)) />
                        {move || file_problem.get().map(|p| view! { <p class="error-box" role="alert"><strong>"Error: "</strong>{p}</p> })}
                        <div class="button-row">
                            <button type="submit" class="danger" disabled=move || remove.pending().get()>{format!("Remove Key of {name}")}</button>
                        </div>
                    </fieldset>
                </form>
                <ErrorBox error=last_error(remove.value()) />
            })}
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::data_url;

    #[test]
    fn a_data_url_escapes_what_a_url_cannot_hold() {
        assert_eq!(
            data_url("-----BEGIN AGE\n+/="),
            "data:application/octet-stream,-----BEGIN%20AGE%0A%2B%2F%3D"
        );
    }
}
