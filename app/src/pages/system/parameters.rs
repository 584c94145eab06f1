//! System > Enterprise Parameters: the security parameters, typed, with "Set to Default" per
//! parameter and for the page; Cluster Security Mode read-only; the R5 message when Device Security
//! Mode is updated; the clusters sharing the TFTP servers with R3's warnings.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::system::{
    get_enterprise_parameters, DeleteTftpCluster, SaveTftpCluster, SetEnterpriseDefault,
    SetEnterpriseParameters,
};
use crate::components::form::{last_error, ErrorBox};
use crate::components::layout::use_current_user;
use crate::components::parameter::ParameterRow;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::parameters::{enterprise, ParameterDef};
use crate::domain::security::ClusterSecurityMode;
use crate::domain::tftp_share::{validate_tftp_cluster, TftpCluster};
use crate::model::system::{EnterpriseParameters, ParameterSaved};

/// System > Enterprise Parameters.
#[component]
pub fn EnterpriseParametersPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_enterprise_parameters());
    let me = use_current_user();
    let result = RwSignal::new(None::<ParameterSaved>);
    view! {
        <Title text="Enterprise Parameters Configuration" />
        <h1>"Enterprise Parameters Configuration"</h1>
        {move || result.get().map(|s| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>"Enterprise parameters updated."</p>
                {s.warnings.into_iter().map(|w| view! { <p class="warning" data-testid="saved-warning"><strong>"Warning: "</strong>{w}</p> }).collect_view()}
                {s.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match data.await {
                    Ok(page) => Either::Left(view! {
                        <ParametersForm page=page.clone() may_write result reload=Callback::new(move |()| data.refetch()) />
                        <TftpSharing page may_write reload=Callback::new(move |()| data.refetch()) />
                    }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn ParametersForm(
    page: EnterpriseParameters,
    may_write: bool,
    result: RwSignal<Option<ParameterSaved>>,
    reload: Callback<()>,
) -> impl IntoView {
    let rows: Vec<(&'static ParameterDef, RwSignal<String>, String, i32)> = page
        .parameters
        .iter()
        .filter_map(|p| {
            enterprise(&p.name).map(|def| {
                (
                    def,
                    RwSignal::new(p.value.clone()),
                    p.value.clone(),
                    p.version,
                )
            })
        })
        .collect();
    let rows = StoredValue::new(rows);
    let update = ServerAction::<SetEnterpriseParameters>::new();
    let defaults = ServerAction::<SetEnterpriseDefault>::new();
    Effect::new(move |_| {
        let done = update
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| defaults.value().get().and_then(Result::ok));
        if let Some(saved) = done {
            result.set(Some(saved));
            reload.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changes: Vec<(String, String, i32)> = rows.with_value(|rows| {
            rows.iter()
                .filter(|(_, value, loaded, _)| value.get_untracked() != *loaded)
                .map(|(def, value, _, version)| {
                    (def.name.to_owned(), value.get_untracked(), *version)
                })
                .collect()
        });
        if rows.with_value(|rows| {
            rows.iter()
                .any(|(def, value, _, _)| def.check(&value.get_untracked()).is_err())
        }) {
            return;
        }
        update.dispatch(SetEnterpriseParameters { changes });
    };
    let all_defaults = move |_| {
        if window()
            .confirm_with_message("Set every enterprise parameter of this page to its default?")
            .unwrap_or(false)
        {
            defaults.dispatch(SetEnterpriseDefault { name: None });
        }
    };
    let sections: Vec<&'static str> = rows.with_value(|rows| {
        let mut s: Vec<&'static str> = Vec::new();
        for (def, ..) in rows {
            if !s.contains(&def.section) {
                s.push(def.section);
            }
        }
        s
    });
    let mode = page.cluster_mode;
    let auto_reg = page.auto_registration_on.clone();
    view! {
        <Show when=move || !may_write>
            <p class="note read-only-note" role="note">"Read Only: you can see these parameters but not change them."</p>
        </Show>
        <form class="form parameters-form" on:submit=submit>
            <table class="data-table parameters" data-testid="cluster-security">
                <caption>"Cluster Security"</caption>
                <thead>
                    <tr><th scope="col">"Parameter"</th><th scope="col">"Value"</th><th scope="col">"Where it is changed"</th></tr>
                </thead>
                <tbody>
                    <tr>
                        <th scope="row">"Cluster Security Mode"</th>
                        <td data-testid="cluster-security-mode">{format!("{} ({})", match mode { ClusterSecurityMode::NonSecure => 0, ClusterSecurityMode::Mixed => 1 }, mode.label())}</td>
                        <td>"Read-only here: set by the CTL operation, " <A href="/ctl">"Security > CTL"</A> ", which switches the cluster between Non Secure and Mixed."</td>
                    </tr>
                    <tr>
                        <th scope="row">"Auto-registration"</th>
                        <td data-testid="auto-registration">{if auto_reg.is_empty() { "Off on every server".to_owned() } else { format!("On for {}", auto_reg.join(", ")) }}</td>
                        <td>
                            <A href="/servers">"System > Cisco CallManager"</A>
                            " (per server; never on while the cluster is Mixed, R2)"
                        </td>
                    </tr>
                </tbody>
            </table>
            {sections.into_iter().map(|section| view! {
                <table class="data-table parameters">
                    <caption>{section}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Parameter"</th>
                            <th scope="col">"Value"</th>
                            <th scope="col">"Default"</th>
                            <th scope="col"><span class="visually-hidden">"Set to Default"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.with_value(|rows| rows.iter().filter(|(def, ..)| def.section == section).map(|(def, value, _, _)| {
                            let name = def.name;
                            view! {
                                <ParameterRow def=*def value=*value disabled=!may_write
                                    on_default=Callback::new(move |()| { defaults.dispatch(SetEnterpriseDefault { name: Some(name.to_owned()) }); }) />
                            }
                        }).collect_view())}
                    </tbody>
                </table>
            }).collect_view()}
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || !may_write || update.pending().get()>"Update"</button>
                <button type="button" disabled=move || !may_write || defaults.pending().get() on:click=all_defaults>"Set to Default"</button>
            </div>
        </form>
        <ErrorBox error=last_error(update.value()) />
        <ErrorBox error=last_error(defaults.value()) />
    }
}

#[component]
fn TftpSharing(page: EnterpriseParameters, may_write: bool, reload: Callback<()>) -> impl IntoView {
    let original = RwSignal::new(None::<(String, i32)>);
    let name = RwSignal::new(String::new());
    let path = RwSignal::new(String::new());
    let alternate = RwSignal::new(String::new());
    let mode = RwSignal::new(ClusterSecurityMode::NonSecure);
    let save = ServerAction::<SaveTftpCluster>::new();
    let delete = ServerAction::<DeleteTftpCluster>::new();
    Effect::new(move |_| {
        if save.value().get().is_some_and(|r| r.is_ok())
            || delete.value().get().is_some_and(|r| r.is_ok())
        {
            reload.run(());
        }
    });
    let current = move || TftpCluster {
        name: name.get(),
        tftp_path: path.get(),
        alternate_tftp_path: alternate.get(),
        security_mode: mode.get(),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let cluster = current();
        let (orig, version) = original
            .get_untracked()
            .map_or((None, None), |(n, v)| (Some(n), Some(v)));
        save.dispatch(SaveTftpCluster {
            original: orig,
            cluster,
            version,
        });
    };
    let live_problem = move || {
        let c = current();
        (!c.name.is_empty() || !c.tftp_path.is_empty())
            .then(|| validate_tftp_cluster(&c).err())
            .flatten()
    };
    let clusters = page.tftp_clusters.clone();
    let warnings = page.r3_warnings.clone();
    view! {
        <section id="tftp-sharing" aria-labelledby="tftp-heading">
            <h2 id="tftp-heading">"Clusters Sharing the TFTP Servers (R3)"</h2>
            <p class="hint">{format!(
                "Clusters that share TFTP servers must use the same cluster security mode, and each cluster's TFTP path and alternate TFTP path must be unique; otherwise one cluster's CTL file overwrites another's. This cluster, {}, uses the TFTP paths above.",
                page.cluster_name
            )}</p>
            {if warnings.is_empty() {
                Either::Left(view! { <p data-testid="r3-ok">"No collision: every path is unique and every cluster uses the same security mode."</p> })
            } else {
                Either::Right(view! {
                    <div class="warning-box" data-testid="r3-warnings">
                        {warnings.into_iter().map(|w| view! { <p><strong>"Warning: "</strong>{w}</p> }).collect_view()}
                    </div>
                })
            }}
            <table class="data-table">
                <caption>{format!("{} other clusters", clusters.len())}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Cluster"</th>
                        <th scope="col">"TFTP Path"</th>
                        <th scope="col">"Alternate TFTP Path"</th>
                        <th scope="col">"Cluster Security Mode"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {clusters.into_iter().map(|c| {
                        let edit = c.clone();
                        let gone = c.clone();
                        view! {
                            <tr>
                                <td>{c.cluster.name.clone()}</td>
                                <td>{c.cluster.tftp_path.clone()}</td>
                                <td>{c.cluster.alternate_tftp_path.clone()}</td>
                                <td>{c.cluster.security_mode.label()}</td>
                                <td>
                                    <button type="button" class="inline-button" disabled=!may_write on:click=move |_| {
                                        original.set(Some((edit.cluster.name.clone(), edit.version)));
                                        name.set(edit.cluster.name.clone());
                                        path.set(edit.cluster.tftp_path.clone());
                                        alternate.set(edit.cluster.alternate_tftp_path.clone());
                                        mode.set(edit.cluster.security_mode);
                                    }>"Edit"<span class="visually-hidden">{format!(" {}", c.cluster.name)}</span></button>
                                    " "
                                    <button type="button" class="inline-button danger" disabled=!may_write on:click=move |_| {
                                        delete.dispatch(DeleteTftpCluster { name: gone.cluster.name.clone(), version: gone.version });
                                    }>"Delete"<span class="visually-hidden">{format!(" {}", c.cluster.name)}</span></button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <form class="form" on:submit=submit>
                <fieldset class="choices">
                    <legend>{move || if original.get().is_some() { "Edit a cluster" } else { "Add a cluster" }}</legend>
                    <label for="tc-name">"Cluster Name"</label>
                    <input id="tc-name" type="text" bind:value=name disabled=!may_write />
                    <label for="tc-path">"TFTP Path"</label>
                    <input id="tc-path" type="text" bind:value=path disabled=!may_write />
                    <label for="tc-alt">"Alternate TFTP Path"</label>
                    <input id="tc-alt" type="text" bind:value=alternate disabled=!may_write />
                    <label for="tc-mode">"Cluster Security Mode"</label>
                    <select id="tc-mode" disabled=!may_write on:change=move |ev| {
                        mode.set(if event_target_value(&ev) == "mixed" { ClusterSecurityMode::Mixed } else { ClusterSecurityMode::NonSecure });
                    }>
                        <option value="non_secure" selected=move || mode.get() == ClusterSecurityMode::NonSecure>"Non Secure"</option>
                        <option value="mixed" selected=move || mode.get() == ClusterSecurityMode::Mixed>"Mixed"</option>
                    </select>
                </fieldset>
                {move || live_problem().map(|e| view! { <p class="field-error">{e.to_string()}</p> })}
                <div class="button-row">
                    <button type="submit" disabled=move || !may_write || save.pending().get()>
                        {move || if original.get().is_some() { "Update Cluster" } else { "Add Cluster" }}
                    </button>
                </div>
            </form>
            <ErrorBox error=last_error(save.value()) />
            <ErrorBox error=last_error(delete.value()) />
        </section>
    }
}
