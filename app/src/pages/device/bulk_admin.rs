//! Device > Bulk Administration: export phones, device pools and CallManager groups as CSV files,
//! import a CSV file of phones (validated row by row first, then applied as a job with a progress
//! bar), and the phone templates an import row can name.

use std::time::Duration;

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::imports::{
    list_templates, validate_phone_import, DeleteTemplate, SaveTemplate, StartPhoneImport,
};
use crate::api::phones::{get_job, get_phone_context};
use crate::components::file::{read_chosen_text, Chosen};
use crate::components::form::{last_error, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::device::Protocol;
use crate::domain::jobs::JobStatus;
use crate::domain::security::{BuiltInBridge, ConfiguredMode, Hardening};
use crate::error::AppError;
use crate::model::imports::{
    ImportAction, ImportMode, ImportReport, ImportRequest, RowProblem, TemplateFields,
    TemplateInfo, MAX_REPORTED,
};
use crate::model::{JobInfo, PhoneContext};

/// The largest file the page sends (the server checks again).
const MAX_FILE_MIB: u64 = 64;

/// The import file input's limits and messages.
const IMPORT_FILE: Chosen = Chosen {
    missing: "Choose a CSV file first.",
    max_bytes: MAX_FILE_MIB * 1024 * 1024,
    limit_of: "an import file",
};

/// Every import action with its form value and label.
const ACTIONS: [(ImportAction, &str, &str); 3] = [
    (
        ImportAction::InsertOrUpdate,
        "insert_or_update",
        "Insert new phones and update existing ones",
    ),
    (
        ImportAction::InsertOnly,
        "insert_only",
        "Insert new phones only",
    ),
    (
        ImportAction::UpdateOnly,
        "update_only",
        "Update existing phones only",
    ),
];

/// Device > Bulk Administration.
#[component]
pub fn BulkAdministrationPage() -> impl IntoView {
    let me = use_current_user();
    let context = Resource::new(|| (), |_| get_phone_context());
    let refresh = RwSignal::new(0u32);
    let templates = Resource::new(move || refresh.get(), |_| list_templates());
    view! {
        <Title text="Bulk Administration" />
        <h1>"Bulk Administration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = me.await;
                let may_write = user.as_ref().map(|u| u.may(FunctionalGroup::Phone, Access::Write)).unwrap_or(false);
                let system_reader = user.as_ref().map(|u| u.may(FunctionalGroup::System, Access::Read)).unwrap_or(false);
                view! {
                    <Show when=move || !may_write>
                        <p class="note read-only-note" role="note">
                            "Read Only: you can export and see the phone templates, but not import phones or change templates."
                        </p>
                    </Show>
                    <ExportSection system_reader />
                    <ImportSection may_write />
                    <TemplatesSection may_write context templates refresh />
                }
            })}
        </Suspense>
    }
}

#[component]
fn ExportSection(system_reader: bool) -> impl IntoView {
    view! {
        <section class="bulk-panel" aria-labelledby="export-title">
            <h2 id="export-title">"Export"</h2>
            <ul>
                <li><a id="export-phones" href="/api/v1/phones.csv" download>"Export phones (CSV)"</a></li>
                {system_reader.then(|| view! {
                    <li><a id="export-device-pools" href="/api/v1/device-pools.csv" download>"Export device pools (CSV)"</a></li>
                    <li><a id="export-callmanager-groups" href="/api/v1/callmanager-groups.csv" download>"Export CallManager groups (CSV)"</a></li>
                })}
            </ul>
            <p class="note">
                "The phone file has a header row naming every column of Phone Configuration, so it can be edited and imported again. "
                "The filters of Find and List Phones can be given as query parameters, for example "
                <code>"/api/v1/phones.csv?model=Cisco%207960&device_pool=Default"</code>
                "."
            </p>
        </section>
    }
}

#[component]
fn ImportSection(may_write: bool) -> impl IntoView {
    let file_ref = NodeRef::<leptos::html::Input>::new();
    let action = RwSignal::new(ImportAction::InsertOrUpdate);
    let mode = RwSignal::new(ImportMode::AllOrNothing);
    // The text of the file last validated: Import sends exactly this.
    let csv = RwSignal::new(String::new());
    let file_problem = RwSignal::new(None::<String>);
    let report = RwSignal::new(None::<Result<ImportReport, AppError>>);
    let validating = RwSignal::new(false);
    let start = ServerAction::<StartPhoneImport>::new();
    let job = RwSignal::new(None::<JobInfo>);

    // Whatever changes the file or the action makes the report stale.
    let forget = move || {
        report.set(None);
        job.set(None);
        file_problem.set(None);
        start.value().set(None);
    };
    let run_validate = move |_| {
        forget();
        validating.set(true);
        leptos::task::spawn_local(async move {
            match read_chosen_text(file_ref, IMPORT_FILE).await {
                Ok(text) => {
                    let request = ImportRequest {
                        csv: text.clone(),
                        action: action.get_untracked(),
                        mode: mode.get_untracked(),
                    };
                    csv.set(text);
                    let answer = validate_phone_import(request).await;
                    report.set(Some(answer));
                }
                Err(problem) => file_problem.set(Some(problem)),
            }
            validating.set(false);
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(started)) = start.value().get() {
            job.set(Some(started));
        }
    });
    // Poll the job every second until it ends.
    Effect::new(move |_| {
        let Some(id) = job.with(|j| {
            j.as_ref()
                .filter(|j| j.status == JobStatus::Running)
                .map(|j| j.id)
        }) else {
            return;
        };
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(progress) = get_job(id).await {
                        job.set(Some(progress));
                    }
                });
            },
            Duration::from_millis(1000),
        );
    });
    let job_active =
        move || job.with(|j| j.as_ref().is_some_and(|j| j.status == JobStatus::Running));
    let run_import = move |_| {
        let Some(count) = report.with_untracked(|r| {
            r.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(|r| r.rows.saturating_sub(r.refused))
        }) else {
            return;
        };
        if window()
            .confirm_with_message(&format!("Import {count} rows?"))
            .unwrap_or(false)
        {
            job.set(None);
            start.dispatch(StartPhoneImport {
                request: ImportRequest {
                    csv: csv.get_untracked(),
                    action: action.get_untracked(),
                    mode: mode.get_untracked(),
                },
            });
        }
    };

    view! {
        <section class="bulk-panel" aria-labelledby="import-title">
            <h2 id="import-title">"Import phones"</h2>
            <div class="form phone-form">
                <label for="import-file">"CSV file"</label>
                <input id="import-file" type="file" accept=".csv,text/csv" node_ref=file_ref
                    disabled=!may_write on:change=move |_| forget() />
                <p class="hint">{format!("At most {MAX_FILE_MIB} MiB. The header row names the columns, as in the exported file.")}</p>
                <label for="import-action">"Action"</label>
                <select id="import-action" disabled=!may_write on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    if let Some((a, _, _)) = ACTIONS.iter().find(|(_, key, _)| *key == chosen) {
                        action.set(*a);
                    }
                    forget();
                }>
                    {ACTIONS.into_iter().map(|(a, key, label)| view! {
                        <option value=key selected=move || action.get() == a>{label}</option>
                    }).collect_view()}
                </select>
                <fieldset class="choices">
                    <legend>"Refused rows"</legend>
                    <label class="check" for="mode-all-or-nothing">
                        <input type="radio" id="mode-all-or-nothing" name="import-mode" value="all_or_nothing"
                            checked disabled=!may_write
                            on:change=move |_| mode.set(ImportMode::AllOrNothing) />
                        "All or nothing: import nothing while any row is refused (a row someone else changes during the import stops it there)"
                    </label>
                    <label class="check" for="mode-valid-rows">
                        <input type="radio" id="mode-valid-rows" name="import-mode" value="valid_rows"
                            disabled=!may_write
                            on:change=move |_| mode.set(ImportMode::ValidRows) />
                        "Apply the valid rows"
                    </label>
                </fieldset>
                <div class="button-row">
                    <button type="button" id="import-validate" class="primary"
                        disabled=move || !may_write || validating.get()
                        on:click=run_validate>
                        "Validate"
                    </button>
                </div>
            </div>
            {move || validating.get().then(|| view! { <p class="note" role="status">"Validating…"</p> })}
            {move || file_problem.get().map(|p| view! { <p class="error-box" role="alert"><strong>"Error: "</strong>{p}</p> })}
            {move || report.get().and_then(Result::ok).map(|r| {
                let refused = r.refused;
                let blocked = move || mode.get() == ImportMode::AllOrNothing && refused > 0;
                view! {
                    <div class="status-box" role="status" data-testid="import-report">
                        <dl class="facts">
                            <dt>"Rows"</dt><dd data-testid="count-rows">{r.rows.to_string()}</dd>
                            <dt>"Inserts"</dt><dd data-testid="count-inserts">{r.inserts.to_string()}</dd>
                            <dt>"Updates"</dt><dd data-testid="count-updates">{r.updates.to_string()}</dd>
                            <dt>"Unchanged"</dt><dd data-testid="count-unchanged">{r.unchanged.to_string()}</dd>
                            <dt>"Refused"</dt><dd data-testid="count-refused">{r.refused.to_string()}</dd>
                        </dl>
                        <ProblemTable testid="import-problems" caption="Refused values" rows=r.problems />
                        <ProblemTable testid="import-warnings" caption="Warnings (R5, R7)" rows=r.warnings />
                        {r.truncated.then(|| view! {
                            <p class="note" data-testid="import-truncated">
                                {format!("The file has more refused values or warnings than the {MAX_REPORTED} listed of each; the counts above include them all.")}
                            </p>
                        })}
                        <div class="button-row">
                            <button type="button" id="import-start" class="primary"
                                disabled=move || !may_write || blocked() || start.pending().get() || job_active()
                                on:click=run_import>
                                "Import"
                            </button>
                        </div>
                        <Show when=blocked>
                            <p class="note" data-testid="import-blocked">
                                {format!("All or nothing: nothing is imported while {refused} rows are refused. Correct the file and validate it again, or choose Apply the valid rows.")}
                            </p>
                        </Show>
                    </div>
                }
            })}
            {move || job.get().map(|j| {
                let max = j.total.max(1);
                let outcome = match j.status {
                    JobStatus::Done => Some(Either::Left(view! {
                        <p data-testid="import-done">
                            {if j.message.is_empty() {
                                format!("{} phones inserted or updated.", j.changed)
                            } else {
                                j.message.clone()
                            }}
                        </p>
                    })),
                    JobStatus::Failed => Some(Either::Right(view! {
                        <p class="error-box" role="alert"><strong>"Error: "</strong>{j.message.clone()}</p>
                    })),
                    _ => None,
                };
                view! {
                    <div class="job-progress" data-testid="import-job" data-status=j.status.key()>
                        <label for="import-progress">{format!("Job {}: {}", j.id, j.status.key())}</label>
                        <progress id="import-progress" max=max value=j.processed>{format!("{} of {}", j.processed, j.total)}</progress>
                        <span>{format!("{} of {} processed, {} changed, {} refused.", j.processed, j.total, j.changed, j.refused)}</span>
                        {outcome}
                    </div>
                }
            })}
            <ErrorBox error=last_error(report) />
            <ErrorBox error=last_error(start.value()) />
        </section>
    }
}

#[component]
fn ProblemTable(
    testid: &'static str,
    caption: &'static str,
    rows: Vec<RowProblem>,
) -> impl IntoView {
    let empty = rows.is_empty();
    view! {
        <div class="table-scroll">
            <table class="data-table" data-testid=testid>
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|p| view! {
                        <tr>
                            <td class="number">{p.line.to_string()}</td>
                            <td>{p.column}</td>
                            <td>{p.reason}</td>
                        </tr>
                    }).collect_view()}
                    {empty.then(|| view! { <tr><td colspan="3">"None"</td></tr> })}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn TemplatesSection(
    may_write: bool,
    context: Resource<Result<PhoneContext, AppError>>,
    templates: Resource<Result<Vec<TemplateInfo>, AppError>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    view! {
        <section class="bulk-panel" aria-labelledby="templates-title">
            <h2 id="templates-title">"Phone templates"</h2>
            <p class="note">
                "An import row that names a template in the Template column takes the template's value for every column it leaves empty."
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match context.await {
                        Ok(ctx) => Either::Left(view! { <TemplateEditor ctx may_write templates refresh /> }),
                        Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A select of `options`, each shown by its label.
#[component]
fn Choice<T>(
    id: &'static str,
    label: &'static str,
    options: Vec<T>,
    label_of: fn(&T) -> String,
    value: RwSignal<T>,
    enabled: bool,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let opts = options.clone();
    view! {
        <label for=id>{label}</label>
        <select
            id=id
            disabled=!enabled
            prop:value=move || value.with(label_of)
            on:change=move |ev| {
                let chosen = event_target_value(&ev);
                if let Some(o) = opts.iter().find(|o| label_of(o) == chosen) {
                    value.set(o.clone());
                }
            }
        >
            {options
                .into_iter()
                .map(|o| {
                    let text = label_of(&o);
                    let shown = text.clone();
                    view! {
                        <option value=text selected=move || value.with(|v| *v == o)>
                            {shown}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// A checkbox with its label after it.
#[component]
fn Check(
    id: &'static str,
    label: &'static str,
    value: RwSignal<bool>,
    enabled: bool,
) -> impl IntoView {
    view! {
        <label class="check" for=id>
            <input type="checkbox" id=id checked=value.get_untracked() prop:checked=move || value.get()
                disabled=!enabled on:change=move |ev| value.set(event_target_checked(&ev)) />
            {label}
        </label>
    }
}

#[component]
fn TemplateEditor(
    ctx: PhoneContext,
    may_write: bool,
    templates: Resource<Result<Vec<TemplateInfo>, AppError>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let models: Vec<String> = ctx.models.iter().map(|m| m.name.clone()).collect();
    let pools: Vec<String> = ctx.pools.clone();
    let defaults = StoredValue::new(TemplateFields {
        name: String::new(),
        model: models.first().cloned().unwrap_or_default(),
        protocol: Protocol::Sccp,
        device_pool: pools.first().cloned().unwrap_or_default(),
        security_mode: ConfiguredMode::UseSystemDefault,
        built_in_bridge: BuiltInBridge::Default,
        hardening: Hardening::default(),
    });
    let start = defaults.get_value();
    let original = RwSignal::new(None::<String>);
    let version = RwSignal::new(0i32);
    let name = RwSignal::new(start.name);
    let model = RwSignal::new(start.model);
    let protocol = RwSignal::new(start.protocol);
    let pool = RwSignal::new(start.device_pool);
    let mode = RwSignal::new(start.security_mode);
    let bridge = RwSignal::new(start.built_in_bridge);
    let garp = RwSignal::new(start.hardening.gratuitous_arp);
    let web = RwSignal::new(start.hardening.web_access);
    let vlan = RwSignal::new(start.hardening.pc_voice_vlan_access);
    let settings = RwSignal::new(start.hardening.settings_access);
    let pc_port = RwSignal::new(start.hardening.pc_port);

    let fill = move |f: &TemplateFields| {
        name.set(f.name.clone());
        model.set(f.model.clone());
        protocol.set(f.protocol);
        pool.set(f.device_pool.clone());
        mode.set(f.security_mode);
        bridge.set(f.built_in_bridge);
        garp.set(f.hardening.gratuitous_arp);
        web.set(f.hardening.web_access);
        vlan.set(f.hardening.pc_voice_vlan_access);
        settings.set(f.hardening.settings_access);
        pc_port.set(f.hardening.pc_port);
    };
    let current = move || TemplateFields {
        name: name.get_untracked(),
        model: model.get_untracked(),
        protocol: protocol.get_untracked(),
        device_pool: pool.get_untracked(),
        security_mode: mode.get_untracked(),
        built_in_bridge: bridge.get_untracked(),
        hardening: Hardening {
            gratuitous_arp: garp.get_untracked(),
            web_access: web.get_untracked(),
            pc_voice_vlan_access: vlan.get_untracked(),
            settings_access: settings.get_untracked(),
            pc_port: pc_port.get_untracked(),
        },
    };

    let save = ServerAction::<SaveTemplate>::new();
    let delete = ServerAction::<DeleteTemplate>::new();
    let deleting = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let clear = move || {
        original.set(None);
        version.set(0);
        defaults.with_value(fill);
    };
    let load = move |t: &TemplateInfo| {
        save.value().set(None);
        saved.set(None);
        original.set(Some(t.fields.name.clone()));
        version.set(t.version);
        fill(&t.fields);
    };
    Effect::new(move |_| {
        if let Some(Ok(info)) = save.value().get() {
            original.set(Some(info.fields.name.clone()));
            version.set(info.version);
            saved.set(Some(info.fields.name));
            refresh.update(|n| *n = n.wrapping_add(1));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            let gone = deleting.get_untracked();
            if gone.is_some() && gone == original.get_untracked() {
                clear();
            }
            saved.set(None);
            refresh.update(|n| *n = n.wrapping_add(1));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(None);
        save.dispatch(SaveTemplate {
            original: original.get_untracked(),
            fields: current(),
            version: version.get_untracked(),
        });
    };
    let new_template = move |_| {
        save.value().set(None);
        saved.set(None);
        clear();
    };

    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match templates.await {
                    Ok(list) => Either::Left(view! {
                        <div class="table-scroll">
                            <table class="data-table" data-testid="templates">
                                <caption>{format!("{} templates", list.len())}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Model"</th>
                                        <th scope="col">"Protocol"</th>
                                        <th scope="col">"Device Pool"</th>
                                        <th scope="col">"Device Security Mode"</th>
                                        <th scope="col">"Built In Bridge"</th>
                                        <th scope="col">"Actions"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|t| {
                                        let f = t.fields.clone();
                                        let template_name = f.name.clone();
                                        let edit_label = format!("Edit {template_name}");
                                        let delete_label = format!("Delete {template_name}");
                                        let template_version = t.version;
                                        view! {
                                            <tr>
                                                <td>{f.name.clone()}</td>
                                                <td>{f.model.clone()}</td>
                                                <td>{f.protocol.label()}</td>
                                                <td>{f.device_pool.clone()}</td>
                                                <td>{f.security_mode.label()}</td>
                                                <td>{f.built_in_bridge.label()}</td>
                                                <td>
                                                    <button type="button" class="inline-button" aria-label=edit_label
                                                        on:click=move |_| load(&t)>
                                                        "Edit"
                                                    </button>
                                                    <button type="button" class="inline-button danger" aria-label=delete_label
                                                        disabled=!may_write
                                                        on:click=move |_| {
                                                            if window()
                                                                .confirm_with_message(&format!("Delete template {template_name}?"))
                                                                .unwrap_or(false)
                                                            {
                                                                deleting.set(Some(template_name.clone()));
                                                                delete.dispatch(DeleteTemplate {
                                                                    name: template_name.clone(),
                                                                    version: template_version,
                                                                });
                                                            }
                                                        }>
                                                        "Delete"
                                                    </button>
                                                </td>
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
        </Transition>
        <form class="form phone-form" aria-labelledby="template-form-title" on:submit=submit>
            <h3 id="template-form-title">
                {move || match original.get() {
                    Some(n) => format!("Template {n}"),
                    None => "New template".to_owned(),
                }}
            </h3>
            <fieldset class="choices">
                <legend>"Template"</legend>
                <label for="template-name">"Template Name"</label>
                <input id="template-name" type="text" bind:value=name maxlength=50 disabled=!may_write />
                <Choice id="template-model" label="Phone Model" options=models label_of=|s: &String| s.clone()
                    value=model enabled=may_write />
                <Choice id="template-protocol" label="Device Protocol" options=vec![Protocol::Sccp, Protocol::Sip]
                    label_of=|p: &Protocol| p.label().to_owned() value=protocol enabled=may_write />
                <Choice id="template-pool" label="Device Pool" options=pools label_of=|s: &String| s.clone()
                    value=pool enabled=may_write />
                <Choice id="template-mode" label="Device Security Mode" options=ConfiguredMode::ALL.to_vec()
                    label_of=|m: &ConfiguredMode| m.label().to_owned() value=mode enabled=may_write />
                <Choice id="template-bridge" label="Built In Bridge" options=BuiltInBridge::ALL.to_vec()
                    label_of=|b: &BuiltInBridge| b.label().to_owned() value=bridge enabled=may_write />
            </fieldset>
            <fieldset class="choices">
                <legend>"Phone Hardening (checked: Enabled)"</legend>
                <Check id="template-garp" label="Gratuitous ARP" value=garp enabled=may_write />
                <Check id="template-web" label="Web Access" value=web enabled=may_write />
                <Check id="template-vlan" label="PC Voice VLAN Access" value=vlan enabled=may_write />
                <Check id="template-settings" label="Settings Access" value=settings enabled=may_write />
                <Check id="template-pc-port" label="PC Port" value=pc_port enabled=may_write />
            </fieldset>
            <div class="button-row">
                <button type="submit" class="primary" id="template-save" disabled=move || !may_write || save.pending().get()>
                    {move || if original.get().is_some() { "Update" } else { "Insert" }}
                </button>
                <button type="button" id="template-new" on:click=new_template disabled=!may_write>"New Template"</button>
            </div>
        </form>
        {move || saved.get().map(|n| view! {
            <p class="status-box" role="status" data-testid="template-saved"><strong>"Done: "</strong>{format!("Template {n} saved.")}</p>
        })}
        <ErrorBox error=last_error(save.value()) />
        <ErrorBox error=last_error(delete.value()) />
    }
}
