//! Form fields shared by the configuration pages: a labelled text or number input bound to a
//! signal, with the refusal of its field shown beside it.

use leptos::prelude::*;

use crate::error::AppError;

/// A labelled input bound to `value`; `problem` is the form's current refusal, shown here when it
/// names this field (`label`).
#[component]
pub fn TextField(
    /// The input's id.
    id: &'static str,
    /// The field's label, as refusals name it.
    label: &'static str,
    /// The value.
    value: RwSignal<String>,
    /// The form's current refusal.
    problem: Signal<Option<AppError>>,
    /// Whether the input is disabled.
    #[prop(into)]
    disabled: Signal<bool>,
    /// `text` or `number`.
    #[prop(default = "text")]
    kind: &'static str,
    /// Placeholder.
    #[prop(optional)]
    placeholder: &'static str,
    /// Marks the field touched when it changes.
    #[prop(optional)]
    touched: Option<RwSignal<bool>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    let note = move || {
        problem
            .get()
            .filter(|e| e.field() == Some(label))
            .map(|e| view! { <span class="field-error" id=error_id.clone()>{e.to_string()}</span> })
    };
    view! {
        <label for=id>{label}</label>
        <div class="field">
            <input
                id=id
                type=kind
                placeholder=placeholder
                bind:value=value
                disabled=move || disabled.get()
                aria-describedby=described
                on:input=move |_| {
                    if let Some(t) = touched {
                        t.set(true);
                    }
                }
            />
            {note}
        </div>
    }
}
