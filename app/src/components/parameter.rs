//! One parameter row of the Enterprise Parameters and Service Parameters pages: a typed input
//! (a choice, a number with its range, a path), its default, a "Set to Default" button, and the
//! refusal of a value the moment it is typed.

use leptos::either::EitherOf3;
use leptos::prelude::*;

use crate::domain::parameters::{ParameterDef, ValueKind};

/// A parameter's row in a table of parameters.
#[component]
pub fn ParameterRow(
    /// The parameter.
    def: &'static ParameterDef,
    /// The value being edited (a stored value).
    value: RwSignal<String>,
    /// Whether the inputs are disabled.
    disabled: bool,
    /// Sets this parameter to its default.
    on_default: Callback<()>,
    /// A note after the label, e.g. "cluster-wide".
    #[prop(optional)]
    note: &'static str,
) -> impl IntoView {
    let id = format!("p-{}", def.name);
    let error_id = format!("{id}-error");
    let problem = move || def.check(&value.get()).err();
    let input = match def.kind {
        ValueKind::Choice(options) => EitherOf3::A(view! {
            <select id=id.clone() disabled=disabled aria-describedby=error_id.clone()
                on:change=move |ev| value.set(event_target_value(&ev))>
                {options.iter().map(|(stored, label)| {
                    let stored = *stored;
                    view! { <option value=stored selected=move || value.get() == stored>{*label}</option> }
                }).collect_view()}
            </select>
        }),
        ValueKind::Integer { min, max, unit } => EitherOf3::B(view! {
            <input id=id.clone() type="number" min=min max=max disabled=disabled
                aria-describedby=error_id.clone() bind:value=value />
            <span class="unit">{unit}</span>
        }),
        ValueKind::Path => EitherOf3::C(view! {
            <input id=id.clone() type="text" maxlength=255 disabled=disabled
                aria-describedby=error_id.clone() bind:value=value />
        }),
    };
    let default_label = def.label_of(def.default);
    view! {
        <tr data-parameter=def.name>
            <th scope="row">
                <label for=id.clone()>{def.label}</label>
                {(!note.is_empty()).then(|| view! { <span class="tag">{note}</span> })}
                {(!def.help.is_empty()).then(|| view! { <span class="hint">{def.help}</span> })}
            </th>
            <td>
                {input}
                {move || problem().map(|reason| view! {
                    <span class="field-error" id=error_id.clone()>{format!("{}: {reason}", def.label)}</span>
                })}
            </td>
            <td>{if default_label.is_empty() { "(empty)".to_owned() } else { default_label }}</td>
            <td>
                <button type="button" class="inline-button" disabled=disabled
                    on:click=move |_| on_default.run(())>
                    "Set to Default"
                    <span class="visually-hidden">{format!(" ({})", def.label)}</span>
                </button>
            </td>
        </tr>
    }
}
