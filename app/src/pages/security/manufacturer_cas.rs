//! Security > Certificates, the manufacturer CAs: the CA certificates a phone's manufacturer
//! certificate (MIC) must chain to before CAPF accepts it By Existing Certificate (R14), uploaded
//! as PEM and listed with their fingerprints. Changing them takes the cluster's keys (a trust
//! anchor for the phones is as strong as those); everyone with System read access sees them.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::security::{list_manufacturer_cas, AddManufacturerCa, RemoveManufacturerCa};
use crate::components::file::{read_chosen_text, Chosen};
use crate::components::form::{last_error, ErrorBox};

/// The upload's limits and messages (the server checks again).
const CA_FILE: Chosen = Chosen {
    missing: "Choose the manufacturer's CA certificate (PEM) first.",
    max_bytes: 64 * 1024,
    limit_of: "a CA certificate",
};

/// The manufacturer CAs; `may_change` when the user holds the cluster's keys.
#[component]
pub fn ManufacturerCas(
    /// Whether the user may upload and remove.
    may_change: bool,
) -> impl IntoView {
    let list = Resource::new(|| (), |_| list_manufacturer_cas());
    let add = ServerAction::<AddManufacturerCa>::new();
    let remove = ServerAction::<RemoveManufacturerCa>::new();
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let file_problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let added = add.value().get().is_some_and(|r| r.is_ok());
        let removed = remove.value().get().is_some_and(|r| r.is_ok());
        if added || removed {
            list.refetch();
        }
    });
    let on_add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        file_problem.set(None);
        leptos::task::spawn_local(async move {
            match read_chosen_text(file_ref, CA_FILE).await {
                Ok(pem) => {
                    add.dispatch(AddManufacturerCa { pem });
                }
                Err(problem) => file_problem.set(Some(problem)),
            }
        });
    };
    view! {
        <section data-testid="manufacturer-cas">
            <h2>"Manufacturer CAs (trusted for MICs)"</h2>
            <p class="hint">"A phone authenticating to CAPF By Existing Certificate with its manufacturer-installed certificate (MIC) is accepted only when the MIC chains to one of these CAs and names the phone (R14)."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(rows) if rows.is_empty() => Either::Left(Either::Left(view! {
                            <p data-testid="no-manufacturer-cas">"No manufacturer CA is trusted: phones can authenticate to CAPF by authentication string, by null string, or by an LSC CAPF issued."</p>
                        })),
                        Ok(rows) => Either::Left(Either::Right(view! {
                            <div class="table-scroll">
                                <table class="data-table" data-testid="manufacturer-ca-list">
                                    <caption>{format!("{} manufacturer CAs", rows.len())}</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Subject"</th>
                                            <th scope="col">"Valid"</th>
                                            <th scope="col">"SHA-256 Fingerprint"</th>
                                            <th scope="col">"Added"</th>
                                            <th scope="col"><span class="visually-hidden">"Remove"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().map(|c| {
                                            let id = c.id;
                                            let confirm_text = format!("Stop trusting {}? Phones whose MIC it issued can then no longer authenticate to CAPF by that MIC.", c.subject);
                                            view! {
                                                <tr>
                                                    <td>{c.subject.clone()}</td>
                                                    <td>{format!("{} to {}", c.not_before.format("%Y-%m-%d"), c.not_after.format("%Y-%m-%d"))}</td>
                                                    <td class="fingerprint">{c.sha256.clone()}</td>
                                                    <td>{format!("{} by {}", c.added_at.format("%Y-%m-%d"), c.added_by)}</td>
                                                    <td>
                                                        <button type="button" class="inline-button" disabled=!may_change on:click=move |_| {
                                                            if window().confirm_with_message(&confirm_text).unwrap_or(false) {
                                                                remove.dispatch(RemoveManufacturerCa { id });
                                                            }
                                                        }>"Remove"<span class="visually-hidden">{format!(" {}", c.subject)}</span></button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        })),
                        Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Transition>
            <ErrorBox error=last_error(remove.value()) />
            {may_change.then(|| view! {
                <form class="form upload-form" on:submit=on_add>
                    <fieldset>
                        <legend>"Upload a manufacturer CA"</legend>
                        <label for="manufacturer-ca-file">"Manufacturer CA Certificate"</label>
                        <input id="manufacturer-ca-file" type="file" accept=".pem,.crt,.cer,text/plain" node_ref=file_ref />
                        <p class="hint">"One PEM certificate with Basic Constraints CA:true (the phone-sim writes its maker's CA as phone-sim-maker-ca.pem in the data folder)."</p>
                        {move || file_problem.get().map(|p| view! { <p class="error-box" role="alert"><strong>"Manufacturer CA Certificate: "</strong>{p}</p> })}
                        <div class="button-row">
                            <button type="submit" disabled=move || add.pending().get()>"Upload"</button>
                        </div>
                    </fieldset>
                </form>
                <ErrorBox error=last_error(add.value()) />
                {move || add.value().get().and_then(Result::ok).map(|c| view! {
                    <p class="status-box" role="status" data-testid="manufacturer-ca-added"><strong>"Trusted: "</strong>{c.subject}" "<span class="fingerprint">{c.sha256}</span></p>
                })}
            })}
        </section>
    }
}
