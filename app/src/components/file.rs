//! Reading a file the admin chose in an `<input type="file">`, in the browser: its size checked
//! before it is read (the server checks again).

use leptos::prelude::*;

/// What the file is for, in the messages.
#[derive(Debug, Clone, Copy)]
pub struct Chosen {
    /// Said when no file is chosen ("Choose a CSV file first.").
    pub missing: &'static str,
    /// The largest file read, in bytes.
    pub max_bytes: u64,
    /// What the limit is of ("an import file").
    pub limit_of: &'static str,
}

/// The text of the file chosen in `input`, refused when none is chosen or it is larger than
/// `chosen.max_bytes`.
#[cfg(feature = "hydrate")]
pub async fn read_chosen_text(
    input: NodeRef<leptos::html::Input>,
    chosen: Chosen,
) -> Result<String, String> {
    let file = input
        .get_untracked()
        .and_then(|i| i.files())
        .and_then(|list| list.get(0))
        .ok_or_else(|| chosen.missing.to_owned())?;
    let name = file.name();
    // Sizes are whole numbers of bytes, exactly represented in an f64 up to 2^53.
    #[allow(clippy::cast_precision_loss)]
    let limit = chosen.max_bytes as f64;
    if file.size() > limit {
        return Err(format!(
            "{name} is larger than {}, the limit of {}.",
            size_label(chosen.max_bytes),
            chosen.limit_of
        ));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| format!("{name} could not be read."))?;
    text.as_string()
        .ok_or_else(|| format!("{name} could not be read as text."))
}

/// On the server a button that reads a file does nothing: it acts once the page is hydrated.
#[cfg(not(feature = "hydrate"))]
pub async fn read_chosen_text(
    _input: NodeRef<leptos::html::Input>,
    _chosen: Chosen,
) -> Result<String, String> {
    Err("The page is still loading; try again in a moment.".to_owned())
}

/// `64 MiB`, `64 KiB` or `100 bytes`.
pub fn size_label(bytes: u64) -> String {
    const KIB: u64 = 1024;
    if bytes >= KIB * KIB && bytes.is_multiple_of(KIB * KIB) {
        format!("{} MiB", bytes / (KIB * KIB))
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}
