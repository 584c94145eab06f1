//! API Tokens: the logged-in user's own tokens for automation.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{list_tokens, CreateToken, RevokeToken};
use crate::components::form::{last_error, ErrorBox};
use crate::model::TokenInfo;

/// Make a named token (shown once) with its lifetime, see when each expires and was last used,
/// revoke one.
#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(TokenInfo::DEFAULT_EXPIRY_DAYS.to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateToken {
            name: name.get_untracked(),
            expires_in_days: days.get_untracked(),
        });
    };
    let when = |d: chrono::DateTime<chrono::Utc>| d.format("%Y-%m-%d %H:%M").to_string();
    view! {
        <Title text="API Tokens" />
        <h1>"API Tokens"</h1>
        <p class="note">
            "A token lets a script call the JSON API with your privileges: send it as "
            <code>"Authorization: Bearer <token>"</code> ". It is shown once; store it safely. "
            "It stops working when it expires (at most a year), when you revoke it, and when an "
            "administrator resets your password or disables your account. A token cannot make "
            "tokens: only you, logged in here, can."
        </p>
        <form class="form" on:submit=submit>
            <label for="token-name">"Token Name"</label>
            <input id="token-name" type="text" bind:value=name maxlength=64 required />
            <label for="token-days">{TokenInfo::EXPIRY_FIELD}</label>
            <input id="token-days" type="number" min="1" max=TokenInfo::MAX_EXPIRY_DAYS step="1"
                inputmode="numeric" bind:value=days required />
            <button type="submit" disabled=create.pending()>"Create Token"</button>
        </form>
        <ErrorBox error=last_error(create.value()) />
        {move || create.value().get().and_then(Result::ok).map(|t| view! {
            <p class="status-box" role="status">
                <strong>{format!("Token {} created: ", t.info.name)}</strong>
                <code data-testid="token-secret">{t.secret}</code>
                " — copy it now; it is not shown again."
            </p>
        })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Ok(list) if list.is_empty() => Either::Left(view! { <p>"You have no API tokens."</p> }),
                    Ok(list) => Either::Right(Either::Left(view! {
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Created (UTC)"</th>
                                    <th scope="col">"Expires (UTC)"</th>
                                    <th scope="col">"Last Used (UTC)"</th>
                                    <th scope="col">"Action"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let id = t.id;
                                    view! {
                                        <tr>
                                            <td>{t.name.clone()}</td>
                                            <td>{when(t.created_at)}</td>
                                            <td>{if t.expired { format!("{} (expired)", when(t.expires_at)) } else { when(t.expires_at) }}</td>
                                            <td>{t.last_used_at.map(when).unwrap_or_else(|| "never".to_owned())}</td>
                                            <td>
                                                <button type="button" class="danger"
                                                    aria-label=format!("Revoke {}", t.name)
                                                    on:click=move |_| { revoke.dispatch(RevokeToken { id }); }>
                                                    "Revoke"
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    })),
                    Err(e) => Either::Right(Either::Right(view! { <p class="error-box" role="alert">{e.to_string()}</p> })),
                }
            })}
        </Transition>
        <ErrorBox error=last_error(revoke.value()) />
    }
}
