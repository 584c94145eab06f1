//! Security > CTL: choose the cluster security mode and the security tokens, build and sign the
//! CTL file; the refusals of R18 and R2 are stated before the admin tries, and the required
//! actions after.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::security::{get_ctl_status, RunCtl};
use crate::components::file::{read_chosen_text, Chosen};
use crate::components::form::{last_error, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::security::ClusterSecurityMode;
use crate::model::security::{CtlRequest, CtlStatus, TokenUpload, TOKEN_FILE_MAX};

/// The token file input's limits and messages (the server checks again).
const TOKEN_FILE: Chosen = Chosen {
    missing: "Choose the signing token's file first: its key is kept offline.",
    max_bytes: TOKEN_FILE_MAX as u64,
    limit_of: "a token file",
};

/// Security > CTL.
#[component]
pub fn CtlPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_ctl_status());
    let me = use_current_user();
    let run = ServerAction::<RunCtl>::new();
    Effect::new(move |_| {
        if run.value().get().is_some_and(|r| r.is_ok()) {
            data.refetch();
        }
    });
    view! {
        <Title text="CTL" />
        <h1>"Certificate Trust List (CTL)"</h1>
        {move || run.value().get().and_then(Result::ok).map(|r| view! {
            <div class="status-box" role="status" data-testid="ctl-result">
                <p><strong>"Done: "</strong>{format!("CTL file built; the cluster security mode is {}.", r.status.mode.label())}</p>
                <ul data-testid="required-actions">
                    {r.required_actions.into_iter().map(|a| view! { <li><strong>"Required: "</strong>{a}</li> }).collect_view()}
                </ul>
            </div>
        })}
        <ErrorBox error=last_error(run.value()) />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match data.await {
                    Ok(status) => Either::Left(view! { <CtlForm status may_write run /> }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn CtlForm(status: CtlStatus, may_write: bool, run: ServerAction<RunCtl>) -> impl IntoView {
    let mode = RwSignal::new(status.mode);
    let tokens = RwSignal::new(status.tokens.clone());
    let all_tokens = status.tokens.clone();
    let missing = status.ctl_provider_missing.clone();
    let auto = status.auto_registration_on.clone();
    let restored = status.restore_update_pending;
    let offline = StoredValue::new(status.offline_tokens.clone());
    let unlisted = StoredValue::new(status.unlisted_tokens.clone());
    let signer = Memo::new(move |_| tokens.with(|ts| ts.first().cloned()));
    let signer_offline = move || {
        signer
            .get()
            .is_some_and(|s| offline.with_value(|o| o.contains(&s)))
    };
    // During a restore's update the server refuses an unlisted signer outright (R16).
    let signer_unlisted = move || {
        !restored
            && signer
                .get()
                .is_some_and(|s| unlisted.with_value(|u| u.contains(&s)))
    };
    let confirm = RwSignal::new(false);
    let passphrase = RwSignal::new(String::new());
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let file_problem = RwSignal::new(None::<String>);
    // A confirmation is for one signer.
    Effect::new(move |_| {
        signer.track();
        confirm.set(false);
    });
    Effect::new(move |_| {
        if run.value().get().is_some_and(|r| r.is_ok()) {
            passphrase.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        file_problem.set(None);
        let needs_file = signer_offline();
        leptos::task::spawn_local(async move {
            let token_file = if needs_file {
                match read_chosen_text(file_ref, TOKEN_FILE).await {
                    Ok(file) => Some(TokenUpload {
                        file,
                        passphrase: passphrase.get_untracked(),
                    }),
                    Err(problem) => {
                        file_problem.set(Some(problem));
                        return;
                    }
                }
            } else {
                None
            };
            run.dispatch(RunCtl {
                request: CtlRequest {
                    mode: mode.get_untracked(),
                    tokens: tokens.get_untracked(),
                    token_file,
                    confirm_new_signer: confirm.get_untracked(),
                },
            });
        });
    };
    let records = status.records.clone();
    view! {
        <dl class="facts">
            <dt>"Cluster Security Mode"</dt>
            <dd data-testid="ctl-mode">{status.mode.label()}</dd>
            <dt>"CTL file"</dt>
            <dd>{match &status.signer {
                Some(s) => format!("{} records, signed by {s}", status.records.len()),
                None => "none yet".to_owned(),
            }}</dd>
        </dl>
        {(!missing.is_empty()).then(|| view! {
            <p class="warning-box" data-testid="r18-warning"><strong>"Refused until fixed: "</strong>
                {format!("Cisco CTL Provider is not activated or not started on {} (R18). Activate it under Serviceability > Service Activation and start it in Control Center.", missing.join(", "))}
            </p>
        })}
        {(!auto.is_empty()).then(|| view! {
            <p class="warning-box" data-testid="r2-warning"><strong>"Mixed mode refused until fixed: "</strong>
                {format!("auto-registration is on for {} (R2).", auto.join(", "))}
            </p>
        })}
        {restored.then(|| view! {
            <p class="warning-box" data-testid="r16-warning"><strong>"Update CTL File: "</strong>
                "after a data-only restore the CTL file must be updated in the current mode, signed by a token the current file lists (R16). The mode is not chosen again."
            </p>
        })}
        <form class="form" on:submit=submit>
            <fieldset class="choices" disabled=restored>
                <legend>"Cluster Security Mode"</legend>
                <label class="check">
                    <input type="radio" name="ctl-mode" value="NonSecure" disabled=!may_write
                        prop:checked=move || mode.get() == ClusterSecurityMode::NonSecure
                        on:change=move |_| mode.set(ClusterSecurityMode::NonSecure) />
                    "Non Secure"
                </label>
                <label class="check">
                    <input type="radio" name="ctl-mode" value="Mixed" disabled=!may_write
                        prop:checked=move || mode.get() == ClusterSecurityMode::Mixed
                        on:change=move |_| mode.set(ClusterSecurityMode::Mixed) />
                    "Mixed"
                </label>
            </fieldset>
            <fieldset class="choices">
                <legend>"Security Tokens (the first checked signs the file)"</legend>
                {all_tokens.into_iter().map(|t| {
                    let name = t.clone();
                    let toggle = t.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" disabled=!may_write
                                prop:checked=move || tokens.with(|ts| ts.contains(&name))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let t = toggle.clone();
                                    tokens.update(|ts| { ts.retain(|x| *x != t); if on { ts.push(t); ts.sort(); } });
                                } />
                            {t}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            {move || signer_offline().then(|| view! {
                <fieldset class="choices" data-testid="token-file">
                    <legend>{format!("Token file of {} (its key is kept offline)", signer.get().unwrap_or_default())}</legend>
                    <p class="hint">"The file and its passphrase are used for this one signature and not kept."</p>
                    <label for="ctl-token-file">"Token File"</label>
                    <input id="ctl-token-file" type="file" accept=".token,text/plain" node_ref=file_ref disabled=!may_write />
                    <label for="ctl-token-passphrase">"Token Passphrase"</label>
                    <input id="ctl-token-passphrase" type="password" autocomplete="off" maxlength="1024" disabled=!may_write
                        prop:value=move || passphrase.get()
                        on:input=move |ev| passphrase.set(event_target_value(&ev)) />
                </fieldset>
            })}
            {move || signer_unlisted().then(|| view! {
                <p class="warning-box" data-testid="new-signer-warning"><strong>"Warning: "</strong>
                    {format!("{} (its current certificate) is not in the current CTL file. The phones accept a new CTL file only when a token of their current one signed it: they will refuse this one and keep the old file, and every phone will have to have its CTL cleared by hand.", signer.get().unwrap_or_default())}
                </p>
                <label class="check">
                    <input type="checkbox" disabled=!may_write
                        prop:checked=move || confirm.get()
                        on:change=move |ev| confirm.set(event_target_checked(&ev)) />
                    "I confirm that every phone will have its CTL cleared by hand"
                </label>
            })}
            {move || file_problem.get().map(|p| view! { <p class="error-box" role="alert"><strong>"Error: "</strong>{p}</p> })}
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || !may_write || run.pending().get()>{if restored { "Update CTL File" } else { "Build and Sign the CTL File" }}</button>
            </div>
        </form>
        <table class="data-table" data-testid="ctl-records">
            <caption>"Records of the current CTL file"</caption>
            <thead>
                <tr><th scope="col">"Role"</th><th scope="col">"Name"</th><th scope="col">"Subject"</th></tr>
            </thead>
            <tbody>
                {records.into_iter().map(|r| view! {
                    <tr><td>{r.role}</td><td>{r.name}</td><td>{r.subject}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
