//! System > SRST: Find and List SRST References, and SRST Reference Configuration with the
//! certificate fetched from the gateway when "Is SRST Secure?" is saved.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::system::{get_srst, list_srst, DeleteSrst, SaveSrst, UpdateSrstCertificate};
use crate::components::field::TextField;
use crate::components::form::{last_error, query_escape, AddLink, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::numbers::whole_number;
use crate::domain::srst::{validate_srst, SrstFields};
use crate::error::AppError;
use crate::model::system::{SrstInfo, SrstSaved};

/// Find and List SRST References (`?certificate=missing`: the secure ones without a valid
/// certificate).
#[component]
pub fn SrstListPage() -> impl IntoView {
    let query = use_query_map();
    let missing = move || query.with(|q| q.get("certificate").as_deref() == Some("missing"));
    let references = Resource::new(missing, list_srst);
    let me = use_current_user();
    view! {
        <Title text="Find and List SRST References" />
        <h1>"Find and List SRST References"</h1>
        <p class="toolbar">
            <A href="/srst">"All references"</A>
            " · "
            <A href="/srst?certificate=missing">"Secure without a valid certificate"</A>
        </p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match references.await {
                    Ok(list) => Either::Left(view! {
                        <AddLink href="/add-srst" label="Add a New SRST Reference" may_write />
                        <div class="table-scroll">
                            <table class="data-table" data-testid="srst-references">
                                <caption>{format!("{} SRST references", list.len())}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"SRST Reference Name"</th>
                                        <th scope="col">"IP Address"</th>
                                        <th scope="col">"Port"</th>
                                        <th scope="col">"Is SRST Secure?"</th>
                                        <th scope="col">"Certificate"</th>
                                        <th scope="col">"Device Pools"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let href = format!("/srst/{}", query_escape(&r.fields.name));
                                        view! {
                                            <tr>
                                                <td><A href=href>{r.fields.name.clone()}</A></td>
                                                <td>{r.fields.ip_address.clone()}</td>
                                                <td>{r.fields.port}</td>
                                                <td>{if r.fields.is_secure { "Yes" } else { "No" }}</td>
                                                <td>{r.status.clone()}</td>
                                                <td>{r.pools.join(", ")}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// SRST Reference Configuration of an existing reference.
#[component]
pub fn SrstPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let reference = Resource::new(name, get_srst);
    let me = use_current_user();
    view! {
        <Title text="SRST Reference Configuration" />
        <h1>"SRST Reference Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match reference.await {
                    Ok(info) => Either::Left(view! { <SrstForm fields=info.fields.clone() info=Some(info) may_write /> }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Add an SRST reference.
#[component]
pub fn AddSrstPage() -> impl IntoView {
    view! {
        <Title text="Add SRST Reference" />
        <h1>"SRST Reference Configuration — Add"</h1>
        <SrstForm fields=SrstFields::new("", "") info=None may_write=true />
    }
}

#[component]
fn CertificatePanel(info: SrstInfo) -> impl IntoView {
    let fetched = info
        .fetched_at
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    view! {
        <section class="certificate" aria-labelledby="cert-heading" data-testid="srst-certificate">
            <h2 id="cert-heading">"SRST Certificate"</h2>
            <p><strong>"Status: "</strong><span data-testid="srst-status">{info.status.clone()}</span></p>
            {info.certificate.map(|c| view! {
                <dl class="facts">
                    <dt>"Subject"</dt><dd data-testid="cert-subject">{c.subject}</dd>
                    <dt>"Issuer"</dt><dd>{c.issuer}</dd>
                    <dt>"Valid From"</dt><dd>{c.not_before.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
                    <dt>"Valid Until"</dt><dd>{c.not_after.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
                    <dt>"SHA-256 Fingerprint"</dt><dd class="fingerprint" data-testid="cert-fingerprint">{c.sha256}</dd>
                </dl>
            })}
            {info.certificate_error.map(|e| view! {
                <p class="warning-box" data-testid="cert-error"><strong>"Last fetch failed: "</strong>{e}</p>
            })}
            {fetched.map(|t| view! { <p class="note">{format!("Last fetched {t}")}</p> })}
        </section>
    }
}

#[component]
fn SrstForm(fields: SrstFields, info: Option<SrstInfo>, may_write: bool) -> impl IntoView {
    let original = info.as_ref().map(|i| i.fields.name.clone());
    let version = info.as_ref().map_or(0, |i| i.version);
    let name = RwSignal::new(fields.name.clone());
    let ip = RwSignal::new(fields.ip_address.clone());
    let port = RwSignal::new(fields.port.to_string());
    let sip_address = RwSignal::new(fields.sip_address.clone());
    let sip_port = RwSignal::new(fields.sip_port.to_string());
    let secure = RwSignal::new(fields.is_secure);
    let cert_port = RwSignal::new(fields.certificate_provider_port.to_string());
    let touched = RwSignal::new(info.is_some());
    let current = move || SrstFields {
        name: name.get(),
        ip_address: ip.get(),
        port: whole_number(&port.get()),
        sip_address: sip_address.get(),
        sip_port: whole_number(&sip_port.get()),
        is_secure: secure.get(),
        certificate_provider_port: whole_number(&cert_port.get()),
    };
    let save = ServerAction::<SaveSrst>::new();
    let refetch = ServerAction::<UpdateSrstCertificate>::new();
    let delete = ServerAction::<DeleteSrst>::new();
    let problem = Signal::derive(move || {
        if let Some(Err(e)) = save.value().get() {
            if e.field().is_some() {
                return Some(e);
            }
        }
        touched
            .get()
            .then(|| validate_srst(&current()).err())
            .flatten()
    });
    let navigate = use_navigate();
    let is_new = original.is_none();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            if is_new {
                navigate(
                    &format!("/srst/{}", query_escape(&saved.reference.fields.name)),
                    Default::default(),
                );
            }
        }
    });
    let shown = RwSignal::new(info.clone());
    Effect::new(move |_| {
        let latest = save
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| refetch.value().get().and_then(Result::ok));
        if let Some(saved) = latest {
            shown.set(Some(saved.reference));
        }
    });
    let submit = {
        let original = original.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            touched.set(true);
            let fields = current();
            if validate_srst(&fields).is_err() {
                return;
            }
            save.dispatch(SaveSrst {
                original: original.clone(),
                fields,
                version: shown.get_untracked().map_or(version, |i| i.version),
            });
        }
    };
    let remove = {
        let original = original.clone();
        move |_| {
            let Some(name) = original.clone() else { return };
            if window()
                .confirm_with_message(&format!("Delete SRST reference {name}?"))
                .unwrap_or(false)
            {
                delete.dispatch(DeleteSrst {
                    name,
                    version: shown.get_untracked().map_or(version, |i| i.version),
                });
            }
        }
    };
    let update_cert = {
        let original = original.clone();
        move |_| {
            if let Some(name) = original.clone() {
                refetch.dispatch(UpdateSrstCertificate { name });
            }
        }
    };
    let disabled = Signal::derive(move || !may_write);
    let busy = move || save.pending().get() || refetch.pending().get();
    let result: Signal<Option<SrstSaved>> = Signal::derive(move || {
        save.value()
            .get()
            .and_then(Result::ok)
            .or_else(|| refetch.value().get().and_then(Result::ok))
    });
    let other_error: Signal<Option<AppError>> = Signal::derive(move || {
        last_error(save.value())
            .get()
            .filter(|e| e.field().is_none())
    });
    view! {
        <Show when=move || !may_write>
            <p class="note read-only-note" role="note">"Read Only: you can see this reference but not change it."</p>
        </Show>
        <form class="form" on:submit=submit>
            <fieldset class="choices">
                <legend>"SRST Reference Information"</legend>
                <TextField id="srst-name" label="SRST Reference Name" value=name problem disabled touched />
                <TextField id="srst-ip" label="IP Address" value=ip problem disabled placeholder="10.1.1.1" touched />
                <TextField id="srst-port" label="Port" value=port problem disabled kind="number" touched />
                <TextField id="srst-sip-address" label="SIP Network/IP Address" value=sip_address problem disabled touched />
                <TextField id="srst-sip-port" label="SIP Port" value=sip_port problem disabled kind="number" touched />
            </fieldset>
            <fieldset class="choices">
                <legend>"Security"</legend>
                <label for="srst-secure">"Is SRST Secure?"</label>
                <div class="field">
                    <input id="srst-secure" type="checkbox" prop:checked=move || secure.get()
                        disabled=move || !may_write
                        on:change=move |ev| secure.set(event_target_checked(&ev)) />
                </div>
                <TextField id="srst-cert-port" label="SRST Certificate Provider Port" value=cert_port problem disabled kind="number" touched />
                <p class="hint">"Saving with \"Is SRST Secure?\" checked fetches the gateway's certificate over TLS from this port. Dependent devices must then be reset (R10) before their config files carry it (R9)."</p>
            </fieldset>
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || !may_write || busy()>
                    {if is_new { "Insert" } else { "Update" }}
                </button>
                {(!is_new).then(|| view! {
                    <button type="button" on:click=update_cert.clone() disabled=move || !may_write || busy()>"Update Certificate"</button>
                    <button type="button" class="danger" on:click=remove.clone() disabled=move || !may_write>"Delete"</button>
                })}
            </div>
        </form>
        <Show when=busy>
            <p class="note" role="status">"Saving; fetching the gateway's certificate…"</p>
        </Show>
        {move || result.get().map(|s| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>{format!("SRST reference {} saved.", s.reference.fields.name)}</p>
                {s.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        <ErrorBox error=other_error />
        <ErrorBox error=last_error(refetch.value()) />
        <ErrorBox error=last_error(delete.value()) />
        {move || shown.get().map(|i| {
            let pools = i.pools.clone();
            view! {
                <CertificatePanel info=i />
                <section aria-labelledby="pools-heading">
                    <h2 id="pools-heading">"Device Pools Using This Reference"</h2>
                    {if pools.is_empty() {
                        Either::Left(view! { <p>"None."</p> })
                    } else {
                        Either::Right(view! { <ul>{pools.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul> })
                    }}
                </section>
            }
        })}
    }
}
