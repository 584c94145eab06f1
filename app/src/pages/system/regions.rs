//! System > Region: Find and List regions with their audio codec, and the region configuration.
//! A wideband codec matters to R6 (an encrypted 7940/7960 falls back to a narrowband one); a
//! region that device pools use cannot be deleted.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::callmanager_groups::pool_links;
use crate::api::system::{get_region, list_regions, DeleteRegion, SaveRegion};
use crate::components::field::TextField;
use crate::components::form::{last_error, query_escape, AddLink, ErrorBox};
use crate::components::layout::use_current_user;
use crate::domain::access::{Access, FunctionalGroup};
use crate::domain::pools::{validate_region, AudioCodec, RegionFields};
use crate::error::AppError;
use crate::model::system::RegionDetail;

/// Find and List Regions.
#[component]
pub fn RegionsPage() -> impl IntoView {
    let regions = Resource::new(|| (), |_| list_regions());
    let me = use_current_user();
    view! {
        <Title text="Find and List Regions" />
        <h1>"Find and List Regions"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match regions.await {
                    Ok(list) => Either::Left(view! {
                        <AddLink href="/add-region" label="Add a New Region" may_write />
                        <div class="table-scroll">
                            <table class="data-table" data-testid="regions">
                                <caption>{format!("{} regions", list.len())}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Audio Codec"</th>
                                        <th scope="col">"Device Pools"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|r| {
                                        let href = format!("/regions/{}", query_escape(&r.fields.name));
                                        view! {
                                            <tr>
                                                <td><A href=href>{r.fields.name.clone()}</A></td>
                                                <td>{r.fields.audio_codec.label()}</td>
                                                <td class="number"><A href="/device-pools">{r.pools.len().to_string()}</A></td>
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

/// Region Configuration of an existing region.
#[component]
pub fn RegionPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.with(|p| p.get("name").unwrap_or_default());
    let region = Resource::new(name, get_region);
    let me = use_current_user();
    view! {
        <Title text="Region Configuration" />
        <h1>"Region Configuration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let may_write = me.await.map(|u| u.may(FunctionalGroup::System, Access::Write)).unwrap_or(false);
                match region.await {
                    Ok(detail) => Either::Left(view! { <RegionForm fields=detail.fields.clone() detail=Some(detail) may_write /> }),
                    Err(e) => Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}

/// Add a region.
#[component]
pub fn AddRegionPage() -> impl IntoView {
    let fields = RegionFields {
        name: String::new(),
        audio_codec: AudioCodec::G711,
    };
    view! {
        <Title text="Add Region" />
        <h1>"Region Configuration — Add"</h1>
        <RegionForm fields detail=None may_write=true />
    }
}

#[component]
fn RegionForm(
    fields: RegionFields,
    detail: Option<RegionDetail>,
    may_write: bool,
) -> impl IntoView {
    let original = detail.as_ref().map(|d| d.fields.name.clone());
    let version = RwSignal::new(detail.as_ref().map_or(0, |d| d.version));
    let name = RwSignal::new(fields.name.clone());
    let codec = RwSignal::new(fields.audio_codec);
    let touched = RwSignal::new(detail.is_some());
    let current = move || RegionFields {
        name: name.get(),
        audio_codec: codec.get(),
    };
    let save = ServerAction::<SaveRegion>::new();
    let delete = ServerAction::<DeleteRegion>::new();
    let problem = Signal::derive(move || {
        if let Some(Err(e)) = save.value().get() {
            if e.field().is_some() {
                return Some(e);
            }
        }
        touched
            .get()
            .then(|| validate_region(&current()).err())
            .flatten()
    });
    let is_new = original.is_none();
    let navigate = use_navigate();
    // A new or renamed object lives at its new address (the next save names it).
    let original_name = original.clone();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            version.set(saved.version);
            if is_new || original_name.as_deref() != Some(saved.fields.name.as_str()) {
                navigate(
                    &format!("/regions/{}", query_escape(&saved.fields.name)),
                    Default::default(),
                );
            }
        }
    });
    let submit = {
        let original = original.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            touched.set(true);
            let fields = current();
            if validate_region(&fields).is_err() {
                return;
            }
            save.dispatch(SaveRegion {
                original: original.clone(),
                fields,
                version: version.get_untracked(),
            });
        }
    };
    let remove = {
        let original = original.clone();
        move |_| {
            let Some(name) = original.clone() else { return };
            if window()
                .confirm_with_message(&format!("Delete region {name}?"))
                .unwrap_or(false)
            {
                delete.dispatch(DeleteRegion {
                    name,
                    version: version.get_untracked(),
                });
            }
        }
    };
    let disabled = Signal::derive(move || !may_write);
    let result: Signal<Option<RegionDetail>> =
        Signal::derive(move || save.value().get().and_then(Result::ok));
    let other_error: Signal<Option<AppError>> = Signal::derive(move || {
        last_error(save.value())
            .get()
            .filter(|e| e.field().is_none())
    });
    let facts = detail.map(|d| {
        view! {
            <dl class="facts">
                <dt>"Device Pools"</dt>
                <dd data-testid="region-pools">{pool_links(d.pools)}</dd>
            </dl>
        }
    });
    view! {
        <Show when=move || !may_write>
            <p class="note read-only-note" role="note">"Read Only: you can see this region but not change it."</p>
        </Show>
        {facts}
        <form class="form" on:submit=submit>
            <fieldset class="choices">
                <legend>"Region Information"</legend>
                <TextField id="region-name" label="Region Name" value=name problem disabled touched />
                <label for="region-codec">"Audio Codec"</label>
                <div class="field">
                    <select id="region-codec" disabled=move || !may_write aria-describedby="region-codec-note" on:change=move |ev| {
                        touched.set(true);
                        if let Some(c) = AudioCodec::parse(&event_target_value(&ev)) {
                            codec.set(c);
                        }
                    }>
                        {AudioCodec::ALL.into_iter().map(|c| view! {
                            <option value=c.label() selected=move || codec.get() == c>{c.label()}</option>
                        }).collect_view()}
                    </select>
                    {move || problem.get().filter(|e| e.field() == Some("Audio Codec")).map(|e| view! { <span class="field-error">{e.to_string()}</span> })}
                    <p class="note" id="region-codec-note">
                        "G.722 and Wideband are wideband codecs: an encrypted Cisco 7940/7960 in such a region uses a narrowband codec for encrypted calls (R6)."
                    </p>
                </div>
            </fieldset>
            <div class="button-row">
                <button type="submit" class="primary" disabled=move || !may_write || save.pending().get()>
                    {if is_new { "Insert" } else { "Update" }}
                </button>
                {(!is_new).then(|| view! {
                    <button type="button" class="danger" on:click=remove.clone() disabled=move || !may_write>"Delete"</button>
                })}
            </div>
        </form>
        {move || result.get().map(|r| view! {
            <div class="status-box" role="status" data-testid="save-result">
                <p><strong>"Done: "</strong>{format!("Region {} saved.", r.fields.name)}</p>
            </div>
        })}
        <ErrorBox error=other_error />
        <ErrorBox error=last_error(delete.value()) />
    }
}
