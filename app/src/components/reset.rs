//! The Reset panel of the phone, Find and List and server pages: which devices (when there is a
//! choice), Reset or Restart (`PAGES.md`), the pace, one confirmation, then the job's page.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::jobs::StartReset;
use crate::components::form::{last_error, ErrorBox};
use crate::domain::jobs::{parse_rate, DEFAULT_RATE};
use crate::domain::sip::DeviceAction;
use crate::error::AppError;
use crate::model::jobs::ResetRequest;
use crate::model::PhoneFilter;

/// One choice of devices: its label, and the filter or names it stands for.
#[derive(Clone)]
pub struct ResetChoice {
    /// What the radio button says (and the confirmation repeats).
    pub label: Signal<String>,
    /// The devices, read when the button is pressed.
    pub target: Callback<(), (Option<PhoneFilter>, Option<Vec<String>>)>,
}

/// The Reset panel.
#[component]
pub fn ResetPanel(
    /// The panel's heading.
    title: &'static str,
    /// A prefix that keeps the controls' ids unique on the page.
    id: &'static str,
    /// The devices it can reset (the first is chosen at first).
    choices: Vec<ResetChoice>,
    /// Whether the user may reset (Phone, Full Access).
    #[prop(into)]
    enabled: Signal<bool>,
) -> impl IntoView {
    let choice = RwSignal::new(0usize);
    let action = RwSignal::new(DeviceAction::Reset);
    let rate = RwSignal::new(DEFAULT_RATE.to_string());
    let problem = RwSignal::new(None::<AppError>);
    let start = ServerAction::<StartReset>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(job)) = start.value().get() {
            navigate(&format!("/jobs/{}", job.id), Default::default());
        }
    });
    let choices = StoredValue::new(choices);
    let go = move |_| {
        problem.set(None);
        let rate = match parse_rate(&rate.get_untracked()) {
            Ok(r) => r.unwrap_or(0),
            Err(reason) => {
                problem.set(Some(AppError::invalid("Rate", reason)));
                return;
            }
        };
        let Some(c) = choices.with_value(|c| c.get(choice.get_untracked()).cloned()) else {
            return;
        };
        let what = action.get_untracked();
        let question = format!("{} {}?", what.label(), c.label.get_untracked());
        if !window().confirm_with_message(&question).unwrap_or(false) {
            return;
        }
        let (filter, names) = c.target.run(());
        start.dispatch(StartReset {
            request: ResetRequest {
                filter,
                names,
                action: what,
                rate: Some(rate),
            },
        });
    };
    let several = choices.with_value(|c| c.len() > 1);
    let radio_name = format!("{id}-scope");
    let action_name = format!("{id}-action");
    view! {
        <section class="reset-panel" aria-labelledby=format!("{id}-title")>
            <h2 id=format!("{id}-title")>{title}</h2>
            {several.then(|| view! {
                <fieldset class="choices">
                    <legend>"Devices"</legend>
                    {choices.with_value(|c| c.iter().enumerate().map(|(i, c)| {
                        let label = c.label;
                        let name = radio_name.clone();
                        view! {
                            <label class="check">
                                <input type="radio" name=name prop:checked=move || choice.get() == i
                                    on:change=move |_| choice.set(i) />
                                {move || label.get()}
                            </label>
                        }
                    }).collect_view())}
                </fieldset>
            })}
            <fieldset class="choices">
                <legend>"Action"</legend>
                {[DeviceAction::Reset, DeviceAction::Restart].into_iter().map(|a| {
                    let name = action_name.clone();
                    let hint = match a {
                        DeviceAction::Reset => "full reboot: fetches its config file and CTL again",
                        DeviceAction::Restart => "reloads its configuration without a reboot",
                    };
                    view! {
                        <label class="check">
                            <input type="radio" name=name value=a.key() prop:checked=move || action.get() == a
                                on:change=move |_| action.set(a) />
                            {format!("{} — {hint}", a.label())}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="inline-row">
                <label for=format!("{id}-rate")>"Rate (devices per second, 0 = no limit)"</label>
                <input id=format!("{id}-rate") type="number" min="0" inputmode="numeric" prop:value=move || rate.get()
                    on:input=move |ev| rate.set(event_target_value(&ev)) />
                <button type="button" class="primary" disabled=move || !enabled.get() || start.pending().get() on:click=go>
                    {move || action.get().label()}
                </button>
            </div>
            <ErrorBox error=Signal::derive(move || problem.get()) />
            <ErrorBox error=last_error(start.value()) />
        </section>
    }
}
