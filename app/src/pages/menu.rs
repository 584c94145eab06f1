//! The menu bar's contents: every page that exists, by CallManager menu area.

/// A menu area of CallManager Administration (and Serviceability, its sibling application).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// System.
    System,
    /// Service.
    Service,
    /// Device.
    Device,
    /// User.
    User,
    /// Serviceability.
    Serviceability,
}

impl Area {
    /// Every area in menu-bar order.
    pub const ALL: [Area; 5] = [
        Area::System,
        Area::Service,
        Area::Device,
        Area::User,
        Area::Serviceability,
    ];

    /// The area's label.
    pub fn label(self) -> &'static str {
        match self {
            Area::System => "System",
            Area::Service => "Service",
            Area::Device => "Device",
            Area::User => "User",
            Area::Serviceability => "Serviceability",
        }
    }
}

/// A page reachable from the menu bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuEntry {
    /// Where in the menu bar.
    pub area: Area,
    /// The menu item's label.
    pub label: &'static str,
    /// The page's path.
    pub path: &'static str,
}

/// Every page the menu bar offers.
pub const ENTRIES: &[MenuEntry] = &[MenuEntry {
    area: Area::User,
    label: "Change Password",
    path: "/change-password",
}];

/// The areas that have at least one page, each with its pages, in menu-bar order.
pub fn areas() -> Vec<(Area, Vec<MenuEntry>)> {
    Area::ALL
        .iter()
        .map(|area| {
            let entries = ENTRIES
                .iter()
                .filter(|e| e.area == *area)
                .copied()
                .collect::<Vec<_>>();
            (*area, entries)
        })
        .filter(|(_, entries)| !entries.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_lists_only_areas_with_pages() {
        let areas = areas();
        assert!(areas.iter().all(|(_, entries)| !entries.is_empty()));
        assert!(areas.iter().any(|(area, _)| *area == Area::User));
        assert!(!areas.iter().any(|(area, _)| *area == Area::Device));
    }
}
