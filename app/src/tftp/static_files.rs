//! The static files the TFTP server offers every phone (R12 signs them in Mixed mode): a ring
//! list, a localization file and a ring, shipped with the project.

/// Each static file's name and bytes.
pub const FILES: &[(&str, &[u8])] = &[
    ("RingList.xml", include_bytes!("static/RingList.xml")),
    (
        "English_United_States.xml",
        include_bytes!("static/English_United_States.xml"),
    ),
    ("Ringer1.wav", include_bytes!("static/Ringer1.wav")),
];
