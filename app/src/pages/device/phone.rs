//! Device > Phone > Phone Configuration: the security fields of `PAGES.md`, the configured and
//! the effective security mode side by side with the reason, and the rules' warnings and refusals
//! while the admin edits — the same rule code the server applies on save.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::jobs::phone_contact;
use crate::api::phones::{get_phone, get_phone_context, CreatePhone, DeletePhone, UpdatePhone};
use crate::components::form::{last_error, query_escape, ErrorBox};
use crate::components::layout::use_current_user;
use crate::components::reset::{ResetChoice, ResetPanel};
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::device::{
    validate_phone, AuthenticationMode, CertificateOperation, PhoneFields, Protocol, KEY_SIZES,
};
use crate::domain::security::{
    effective_mode, r5_warning, refuse_mode, BuiltInBridge, ConfiguredMode,
};
use crate::domain::srst::secure_srst;
use crate::error::AppError;
use crate::model::{PhoneContext, PhoneDetail, PhoneSaved};
use crate::pages::device::contact::ContactSection;

/// The configuration page of an existing phone.
#[component]
pub fn PhonePage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let phone = Resource::new(name, get_phone);
    let context = Resource::new(|| (), |_| get_phone_context());
    let contact = Resource::new(name, phone_contact);
    let me = use_current_user();
    view! {
        <Title text="Phone Configuration" />
        <h1>"Phone Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::Phone, Access::Write)).unwrap_or(false);
                match (context.await, phone.await) {
                    (Ok(ctx), Ok(detail)) => {
                        let phone_name = detail.fields.name.clone();
                        let single = phone_name.clone();
                        let reset = ResetChoice {
                            label: Signal::derive(move || single.clone()),
                            target: Callback::new(move |_| (None, Some(vec![phone_name.clone()]))),
                        };
                        let contact_name = detail.fields.name.clone();
                        Either::Left(view! {
                            <PhoneForm ctx fields=detail.fields.clone() detail=Some(detail) may_write />
                            <ResetPanel title="Reset Phone" id="phone-reset" choices=vec![reset] enabled=may_write />
                            <ContactSection name=contact_name contact may_write />
                        })
                    }
                    (Err(e), _) | (_, Err(e)) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Add a phone, or copy one (`?copy=NAME` starts from that phone's fields with a new name).
#[component]
pub fn AddPhonePage() -> impl IntoView {
    let query = use_query_map();
    let copy = move || query.with(|q| q.get("copy").unwrap_or_default());
    let source = Resource::new(copy, |name| async move {
        if name.is_empty() {
            Ok(None)
        } else {
            get_phone(name).await.map(Some)
        }
    });
    let context = Resource::new(|| (), |_| get_phone_context());
    view! {
        <Title text="Add Phone" />
        <h1>"Phone Configuration — Add"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (context.await, source.await) {
                    (Ok(ctx), Ok(source)) => {
                        let fields = match source {
                            Some(detail) => PhoneFields { name: String::new(), operation_completes_by: None, ..detail.fields },
                            None => PhoneFields::new(
                                "",
                                ctx.models.iter().find(|m| m.caps.encryption).or(ctx.models.first()).map(|m| m.name.as_str()).unwrap_or_default(),
                                ctx.pools.first().map(String::as_str).unwrap_or_default(),
                            ),
                        };
                        Either::Left(view! { <PhoneForm ctx fields detail=None may_write=true /> })
                    }
                    (Err(e), _) | (_, Err(e)) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// `count` random digits from the browser's cryptographic generator.
#[cfg(feature = "hydrate")]
fn random_digits(count: usize) -> String {
    let mut bytes = vec![0u8; count];
    let filled = window()
        .crypto()
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes))
        .is_ok();
    if !filled {
        return String::new();
    }
    bytes.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

/// On the server the button does nothing: it acts once the page is hydrated.
#[cfg(not(feature = "hydrate"))]
fn random_digits(_count: usize) -> String {
    String::new()
}

/// A select of `options`, each with its label; `disabled_reason` disables an option and says why.
#[component]
fn Choice<T>(
    id: &'static str,
    label: &'static str,
    options: Vec<T>,
    label_of: fn(&T) -> String,
    value: RwSignal<T>,
    #[prop(into)] enabled: Signal<bool>,
    #[prop(optional, into)] disabled_reason: Option<Callback<T, Option<String>>>,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    let opts = options.clone();
    view! {
        <label for=id>{label}</label>
        <select
            id=id
            disabled=move || !enabled.get()
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
                    let reason = disabled_reason.map(|cb| cb.run(o.clone()));
                    let o2 = o.clone();
                    view! {
                        <option
                            value=text
                            selected=move || value.with(|v| *v == o2)
                            disabled=move || reason.clone().flatten().is_some()
                        >
                            {shown}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

#[component]
fn PhoneForm(
    ctx: PhoneContext,
    fields: PhoneFields,
    detail: Option<PhoneDetail>,
    may_write: bool,
) -> impl IntoView {
    let existing = detail.as_ref().map(|d| d.fields.name.clone());
    let version = RwSignal::new(detail.as_ref().map_or(0, |d| d.version));
    let name = RwSignal::new(fields.name.clone());
    let description = RwSignal::new(fields.description.clone());
    let model = RwSignal::new(fields.model.clone());
    let protocol = RwSignal::new(fields.protocol);
    let pool = RwSignal::new(fields.device_pool.clone());
    let mode = RwSignal::new(fields.security_mode);
    let bridge = RwSignal::new(fields.built_in_bridge);
    let cert_op = RwSignal::new(fields.certificate_operation);
    let auth_mode = RwSignal::new(fields.authentication_mode);
    let auth_string = RwSignal::new(fields.authentication_string.clone());
    let key_size = RwSignal::new(fields.key_size);
    // Operation Completes By, as the datetime-local input holds it (UTC, to the minute).
    let completes_by = RwSignal::new(
        fields
            .operation_completes_by
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default(),
    );
    let h = fields.hardening;
    let garp = RwSignal::new(h.gratuitous_arp);
    let web = RwSignal::new(h.web_access);
    let vlan = RwSignal::new(h.pc_voice_vlan_access);
    let settings = RwSignal::new(h.settings_access);
    let pc_port = RwSignal::new(h.pc_port);
    let touched = RwSignal::new(detail.is_some());
    let saved = RwSignal::new(None::<PhoneSaved>);
    let ctx = StoredValue::new(ctx);

    let current = move || PhoneFields {
        name: name.get(),
        description: description.get(),
        model: model.get(),
        protocol: protocol.get(),
        device_pool: pool.get(),
        security_mode: mode.get(),
        built_in_bridge: bridge.get(),
        certificate_operation: cert_op.get(),
        authentication_mode: auth_mode.get(),
        authentication_string: auth_string.get(),
        key_size: key_size.get(),
        operation_completes_by: chrono::NaiveDateTime::parse_from_str(
            &completes_by.get(),
            "%Y-%m-%dT%H:%M",
        )
        .ok()
        .map(|t| t.and_utc()),
        hardening: crate::domain::security::Hardening {
            gratuitous_arp: garp.get(),
            web_access: web.get(),
            pc_voice_vlan_access: vlan.get(),
            settings_access: settings.get(),
            pc_port: pc_port.get(),
        },
    };
    let model_info = move || ctx.with_value(|c| c.model(&model.get()).cloned());
    let effective = move || {
        ctx.with_value(|c| {
            model_info()
                .map(|m| effective_mode(mode.get(), c.system_default, c.cluster_mode, &m.caps))
        })
    };
    let srst = move || {
        ctx.with_value(|c| {
            effective().map(|e| secure_srst(c.cluster_mode, e.mode, c.srst_of_pool(&pool.get())))
        })
    };
    let r5 = move || {
        ctx.with_value(|c| {
            r5_warning(
                mode.get(),
                c.system_default,
                bridge.get(),
                c.bridge_service_default_on,
            )
        })
    };
    let problem = Signal::derive(move || {
        if !touched.get() {
            return None;
        }
        let f = current();
        match model_info() {
            None => Some(AppError::invalid("Phone Model", "choose a model")),
            Some(m) => validate_phone(&f, &m.caps, m.sccp, m.sip).err(),
        }
    });
    let field_note = move |field: &'static str| {
        move || {
            problem.get().filter(|e| e.field() == Some(field)).map(|e| {
                let id = format!("err-{}", field.replace(' ', "-"));
                view! { <span class="field-error" id=id>{e.to_string()}</span> }
            })
        }
    };
    let mode_reason = Callback::new(move |m: ConfiguredMode| {
        model_info().and_then(|info| refuse_mode(m, &info.caps))
    });
    let enabled = Signal::derive(move || may_write);
    let bridge_enabled =
        Signal::derive(move || may_write && model_info().is_some_and(|m| m.caps.built_in_bridge));
    let capf_enabled =
        Signal::derive(move || may_write && model_info().is_some_and(|m| m.caps.authentication));

    let create = ServerAction::<CreatePhone>::new();
    let update = ServerAction::<UpdatePhone>::new();
    let delete = ServerAction::<DeletePhone>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(result)) = create.value().get() {
            navigate(
                &format!("/phones/{}", query_escape(&result.phone.fields.name)),
                Default::default(),
            );
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(result)) = update.value().get() {
            version.set(result.phone.version);
            saved.set(Some(result));
        }
    });
    let is_new = existing.is_none();
    let submit = {
        let existing = existing.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            touched.set(true);
            saved.set(None);
            let fields = current();
            match &existing {
                Some(name) => {
                    update.dispatch(UpdatePhone {
                        name: name.clone(),
                        fields,
                        version: version.get_untracked(),
                    });
                }
                None => {
                    create.dispatch(CreatePhone { fields });
                }
            }
        }
    };
    let remove = {
        let existing = existing.clone();
        move |_| {
            let Some(name) = existing.clone() else { return };
            if window()
                .confirm_with_message(&format!("Delete phone {name}?"))
                .unwrap_or(false)
            {
                delete.dispatch(DeletePhone {
                    name,
                    version: version.get_untracked(),
                });
            }
        }
    };
    let read_only = !may_write;
    let models: Vec<String> = ctx.with_value(|c| c.models.iter().map(|m| m.name.clone()).collect());
    let pools: Vec<String> = ctx.with_value(|c| c.pools.clone());
    let copy_href = existing
        .as_ref()
        .map(|n| format!("/add-phone?copy={}", query_escape(n)));
    let status = detail
        .as_ref()
        .map(|d| match d.certificate_operation_status_at {
            Some(at) => format!(
                "{} ({})",
                d.certificate_operation_status,
                at.format("%Y-%m-%d %H:%M UTC")
            ),
            None => d.certificate_operation_status.clone(),
        })
        .unwrap_or_else(|| "None".to_owned());
    let runs = detail.as_ref().and_then(|d| d.operation_runs.clone());
    let lsc_state = detail
        .as_ref()
        .map(|d| d.lsc_status.label())
        .unwrap_or("None");
    let held = detail
        .as_ref()
        .map(|d| {
            [("LSC", d.lsc.clone()), ("MIC (last seen)", d.mic.clone())]
                .into_iter()
                .filter_map(|(kind, c)| c.map(|c| (kind, c)))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let completes = detail
        .as_ref()
        .and_then(|d| d.operation_completes_by)
        .map(|t| t.format("%Y-%m-%d %H:00 UTC").to_string())
        .unwrap_or_else(|| "—".to_owned());
    let last_change = detail.as_ref().map(|d| {
        format!(
            "Last changed {} by {}",
            d.updated_at.format("%Y-%m-%d %H:%M UTC"),
            if d.updated_by.is_empty() {
                "the system"
            } else {
                &d.updated_by
            }
        )
    });
    view! {
        <Show when=move || read_only>
            <p class="note read-only-note" role="note">"Read Only: you can see this phone but not change it."</p>
        </Show>
        <section class="mode-summary" aria-label="Security mode" data-testid="mode-summary">
            <div>
                <span class="caption">"Configured"</span>
                <strong data-testid="configured-mode">{move || mode.get().label()}</strong>
            </div>
            <div>
                <span class="caption">"Effective"</span>
                <strong data-testid="effective-mode">{move || effective().map(|e| e.mode.label()).unwrap_or("—")}</strong>
            </div>
            <p class="reason" data-testid="effective-reason">{move || effective().map(|e| e.reason).unwrap_or_default()}</p>
            <div>
                <span class="caption">"Secure SRST"</span>
                <strong data-testid="secure-srst">{move || srst().map(|s| if s.secure { "Yes" } else { "No" }).unwrap_or("—")}</strong>
            </div>
            <p class="reason" data-testid="secure-srst-reason">{move || srst().map(|s| s.reason).unwrap_or_default()}</p>
        </section>
        {move || r5().map(|w| view! {
            <p class="warning-box" data-testid="r5-warning"><strong>"Warning: "</strong>{w}</p>
        })}
        <form class="form phone-form" on:submit=submit>
            <fieldset class="choices">
                <legend>"Device Information"</legend>
                <label for="device-name">"Device Name"</label>
                <input id="device-name" type="text" bind:value=name maxlength=15 placeholder="SEP001122AABBCC"
                    disabled=read_only || !is_new on:input=move |_| touched.set(true) />
                {field_note("Device Name")}
                <label for="device-description">"Description"</label>
                <input id="device-description" type="text" bind:value=description maxlength=128 disabled=read_only />
                {field_note("Description")}
                <Choice id="phone-model" label="Phone Model" options=models label_of=|s: &String| s.clone()
                    value=model enabled=Signal::derive(move || may_write && is_new) />
                {field_note("Phone Model")}
                <Choice id="device-protocol" label="Device Protocol" options=vec![Protocol::Sccp, Protocol::Sip] label_of=|p: &Protocol| p.label().to_owned()
                    value=protocol enabled />
                {field_note("Device Protocol")}
                <Choice id="device-pool" label="Device Pool" options=pools label_of=|s: &String| s.clone()
                    value=pool enabled />
                {field_note("Device Pool")}
            </fieldset>
            <fieldset class="choices">
                <legend>"Security"</legend>
                <Choice id="security-mode" label="Device Security Mode" options=ConfiguredMode::ALL.to_vec() label_of=|m: &ConfiguredMode| m.label().to_owned()
                    value=mode enabled disabled_reason=mode_reason />
                {move || {
                    let reasons: Vec<String> = ConfiguredMode::ALL.iter().filter_map(|m| mode_reason.run(*m)).collect();
                    (!reasons.is_empty()).then(|| view! { <p class="hint" data-testid="mode-limits">{format!("Unavailable for this model: {}", reasons.join("; "))}</p> })
                }}
                {field_note("Device Security Mode")}
                <Choice id="built-in-bridge" label="Built In Bridge" options=BuiltInBridge::ALL.to_vec() label_of=|b: &BuiltInBridge| b.label().to_owned()
                    value=bridge enabled=bridge_enabled />
                {move || (!bridge_enabled.get() && may_write).then(|| view! { <p class="hint">"This model has no built-in bridge."</p> })}
            </fieldset>
            <fieldset class="choices">
                <legend>"Certificate Authority Proxy Function (CAPF)"</legend>
                <Choice id="cert-operation" label="Certificate Operation" options=CertificateOperation::ALL.to_vec() label_of=|c: &CertificateOperation| c.label().to_owned()
                    value=cert_op enabled=capf_enabled />
                <Choice id="auth-mode" label="Authentication Mode" options=AuthenticationMode::ALL.to_vec() label_of=|a: &AuthenticationMode| a.label().to_owned()
                    value=auth_mode enabled=capf_enabled />
                <label for="auth-string">"Authentication String"</label>
                <div class="inline-row">
                    <input id="auth-string" type="text" inputmode="numeric" bind:value=auth_string maxlength=10
                        disabled=move || !capf_enabled.get() on:input=move |_| touched.set(true) />
                    <button type="button" disabled=move || !capf_enabled.get()
                        on:click=move |_| { auth_string.set(random_digits(8)); touched.set(true); }>
                        "Generate String"
                    </button>
                </div>
                {field_note("Authentication String")}
                <Choice id="key-size" label="Key Size (Bits)" options=KEY_SIZES.to_vec()
                    label_of=|k: &u32| k.to_string()
                    value=key_size enabled=capf_enabled />
                <p class="hint">"A 512-bit key is too small to register over TLS (TLS 1.3 signs with RSA-PSS)."</p>
                {field_note("Key Size (Bits)")}
                <label for="completes-by">"Operation Completes By (UTC)"</label>
                <input id="completes-by" type="datetime-local" step="3600"
                    disabled=move || !capf_enabled.get() || cert_op.get() == CertificateOperation::NoPendingOperation
                    prop:value=move || completes_by.get()
                    on:input=move |ev| { completes_by.set(event_target_value(&ev)); touched.set(true); } />
                <p class="hint">{format!("Empty: set by the CAPF Operation Expires in (days) parameter when the operation is scheduled. Now: {completes}.")}</p>
                {field_note("Operation Completes By")}
                <p><strong>"Certificate Operation Status: "</strong><span data-testid="cert-status">{status}</span></p>
                {runs.map(|r| view! { <p class="hint" data-testid="cert-runs">{r}</p> })}
                <p><strong>"LSC Status: "</strong><span data-testid="lsc-state">{lsc_state}</span></p>
                {(!held.is_empty()).then(|| view! {
                    <table class="list compact" data-testid="device-certificates">
                        <caption>"Certificates the phone holds"</caption>
                        <thead><tr>
                            <th scope="col">"Certificate"</th><th scope="col">"Serial"</th>
                            <th scope="col">"Issuer"</th><th scope="col">"Valid until"</th>
                            <th scope="col">"SHA-256 fingerprint"</th>
                        </tr></thead>
                        <tbody>
                            {held.into_iter().map(|(kind, c)| view! {
                                <tr>
                                    <th scope="row">{kind}</th>
                                    <td class="mono">{c.serial}</td>
                                    <td>{c.issuer}</td>
                                    <td>{c.not_after.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()}</td>
                                    <td class="mono fingerprint">{c.sha256}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })}
                {move || (!capf_enabled.get() && may_write).then(|| view! { <p class="hint">"This model supports no authentication, so it takes no LSC (R7)."</p> })}
            </fieldset>
            <fieldset class="choices">
                <legend>"Phone Hardening"</legend>
                <HardeningChoice id="h-garp" label="Gratuitous ARP" value=garp enabled />
                <HardeningChoice id="h-web" label="Web Access" value=web enabled />
                <HardeningChoice id="h-vlan" label="PC Voice VLAN Access" value=vlan enabled />
                <HardeningChoice id="h-settings" label="Settings Access" value=settings enabled />
                <HardeningChoice id="h-pc-port" label="PC Port" value=pc_port enabled />
            </fieldset>
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || read_only || create.pending().get() || update.pending().get()>
                    {if is_new { "Insert" } else { "Update" }}
                </button>
                {copy_href.map(|href| view! { <A href=href attr:class="button secondary-link">"Copy"</A> })}
                {(!is_new).then(|| view! { <button type="button" class="danger" on:click=remove.clone() disabled=read_only>"Delete"</button> })}
            </div>
            {last_change.map(|t| view! { <p class="note">{t}</p> })}
        </form>
        {move || saved.get().map(|s| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>{format!("Phone {} updated.", s.phone.fields.name)}</p>
                {s.warnings.into_iter().map(|w| view! { <p data-testid="saved-warning"><strong>"Warning: "</strong>{w}</p> }).collect_view()}
                {s.required_actions.into_iter().map(|a| view! { <p><strong>"Required: "</strong>{a}</p> }).collect_view()}
            </div>
        })}
        {move || create.value().get().and_then(Result::ok).map(|s| view! {
            <div class="status-box" role="status">
                {s.warnings.into_iter().map(|w| view! { <p data-testid="saved-warning"><strong>"Warning: "</strong>{w}</p> }).collect_view()}
            </div>
        })}
        <ErrorBox error=last_error(create.value()) />
        <ErrorBox error=last_error(update.value()) />
        <ErrorBox error=last_error(delete.value()) />
    }
}

#[component]
fn HardeningChoice(
    id: &'static str,
    label: &'static str,
    value: RwSignal<bool>,
    enabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <select id=id disabled=move || !enabled.get() on:change=move |ev| value.set(event_target_value(&ev) == "Enabled")>
            <option value="Enabled" selected=move || value.get()>"Enabled"</option>
            <option value="Disabled" selected=move || !value.get()>"Disabled"</option>
        </select>
    }
}
