//! Security > Certificates: subject, issuer, validity and fingerprint of every certificate of the
//! cluster; downloads of the certificates (DER, PEM — never a key); regeneration with a
//! confirmation that states what it requires (R10, R17); the manufacturer CAs trusted for MICs.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::security::{list_certificates, RegenerateCertificate};
use crate::components::form::{last_error, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::pages::security::manufacturer_cas::ManufacturerCas;
use crate::pages::security::token_files::OfflineTokens;

/// Security > Certificates.
#[component]
pub fn CertificatesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_certificates());
    let me = use_current_user();
    let regenerate = ServerAction::<RegenerateCertificate>::new();
    Effect::new(move |_| {
        if regenerate.value().get().is_some_and(|r| r.is_ok()) {
            list.refetch();
        }
    });
    view! {
        <Title text="Certificates" />
        <h1>"Certificates"</h1>
        <p class="hint">"Private keys stay in the server's data folder (owner-only files); only certificates can be downloaded. A security token's key can instead be kept offline as a token file (below)."</p>
        {move || regenerate.value().get().and_then(Result::ok).map(|r| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>{format!("Certificate {} regenerated.", r.certificate.name)}</p>
                {r.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        <ErrorBox error=last_error(regenerate.value()) />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = me.await.ok();
                let may_write = user.as_ref().is_some_and(|u| u.may(FunctionalGroup::System, Access::Write));
                let holds_keys = user.as_ref().is_some_and(|u| u.holds_cluster_keys());
                match list.await {
                    Ok(rows) => Either::Left(view! {
                        <div class="table-scroll">
                            <table class="data-table" data-testid="certificates">
                                <caption>{format!("{} certificates", rows.len())}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Subject"</th>
                                        <th scope="col">"Valid"</th>
                                        <th scope="col">"SHA-256 Fingerprint"</th>
                                        <th scope="col">"Key"</th>
                                        <th scope="col">"Download"</th>
                                        <th scope="col"><span class="visually-hidden">"Regenerate"</span></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows.clone().into_iter().map(|c| {
                                        let (id, version, name, role) = (c.id, c.version, c.name.clone(), c.role);
                                        let offline_note = if c.key_offline_at.is_some() {
                                            " Its key is kept offline: the new key is made on this server, and the token file no longer signs."
                                        } else {
                                            ""
                                        };
                                        let confirm_text = format!(
                                            "Regenerate the {} certificate {name}? A new key replaces the old one.{offline_note} The CTL file must then be updated (R17); in a Mixed cluster, services must be restarted and every device reset (R10).",
                                            role.label()
                                        );
                                        view! {
                                            <tr data-role=role.key()>
                                                <td>{role.label()}</td>
                                                <td>{c.name.clone()}</td>
                                                <td>{c.subject.clone()}<br /><span class="hint">{format!("Issuer: {}", c.issuer)}</span></td>
                                                <td>{format!("{} to {}", c.not_before.format("%Y-%m-%d"), c.not_after.format("%Y-%m-%d"))}</td>
                                                <td class="fingerprint">{c.sha256.clone()}</td>
                                                <td data-testid="key-location">{match c.key_offline_at {
                                                    Some(since) => format!("Offline since {}", since.format("%Y-%m-%d")),
                                                    None => "On this server".to_owned(),
                                                }}</td>
                                                <td>
                                                    <a href=format!("/api/v1/certificates/{id}/der") download>"DER"<span class="visually-hidden">{format!(" of {name}")}</span></a>
                                                    " · "
                                                    <a href=format!("/api/v1/certificates/{id}/pem") download>"PEM"<span class="visually-hidden">{format!(" of {}", c.name)}</span></a>
                                                </td>
                                                <td>
                                                    <button type="button" class="inline-button" disabled=!may_write on:click=move |_| {
                                                        if window().confirm_with_message(&confirm_text).unwrap_or(false) {
                                                            regenerate.dispatch(RegenerateCertificate { id, version });
                                                        }
                                                    }>"Regenerate"<span class="visually-hidden">{format!(" {}", c.name)}</span></button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {holds_keys.then(|| view! { <OfflineTokens certificates=rows changed=Callback::new(move |()| list.refetch()) /> })}
                        <ManufacturerCas may_change=holds_keys />
                    }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}
