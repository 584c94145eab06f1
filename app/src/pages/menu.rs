//! The menu bar's contents: every page that exists, by CallManager menu area, shown to the users
//! whose access level lets them read it.

use crate::domain::access::FunctionalGroup;

/// A menu area of CallManager Administration (and Serviceability, its sibling application).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// System.
    System,
    /// Service.
    Service,
    /// Device.
    Device,
    /// Security: certificates, the CTL, the TFTP files (CallManager 4.1 had a Windows client).
    Security,
    /// User.
    User,
    /// Serviceability.
    Serviceability,
}

impl Area {
    /// Every area in menu-bar order.
    pub const ALL: [Area; 6] = [
        Area::System,
        Area::Service,
        Area::Device,
        Area::Security,
        Area::User,
        Area::Serviceability,
    ];

    /// The area's label.
    pub fn label(self) -> &'static str {
        match self {
            Area::System => "System",
            Area::Service => "Service",
            Area::Device => "Device",
            Area::Security => "Security",
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
    /// The functional group whose read access shows the entry; `None`: every logged-in user.
    pub group: Option<FunctionalGroup>,
}

const fn entry(
    area: Area,
    label: &'static str,
    path: &'static str,
    group: Option<FunctionalGroup>,
) -> MenuEntry {
    MenuEntry {
        area,
        label,
        path,
        group,
    }
}

/// Every page the menu bar offers.
pub const ENTRIES: &[MenuEntry] = &[
    entry(
        Area::System,
        "Cisco CallManager",
        "/servers",
        Some(FunctionalGroup::System),
    ),
    entry(
        Area::System,
        "Cisco CallManager Group",
        "/callmanager-groups",
        Some(FunctionalGroup::System),
    ),
    entry(
        Area::System,
        "Device Pool",
        "/device-pools",
        Some(FunctionalGroup::System),
    ),
    entry(
        Area::System,
        "Region",
        "/regions",
        Some(FunctionalGroup::System),
    ),
    entry(Area::System, "SRST", "/srst", Some(FunctionalGroup::System)),
    entry(
        Area::System,
        "Enterprise Parameters",
        "/enterprise-parameters",
        Some(FunctionalGroup::System),
    ),
    entry(
        Area::Service,
        "Service Parameters",
        "/service-parameters",
        Some(FunctionalGroup::Service),
    ),
    entry(
        Area::Device,
        "Phone",
        "/phones",
        Some(FunctionalGroup::Phone),
    ),
    entry(
        Area::Device,
        "Bulk Administration",
        "/bulk-administration",
        Some(FunctionalGroup::Phone),
    ),
    entry(
        Area::Device,
        "Pending Actions",
        "/pending-actions",
        Some(FunctionalGroup::Phone),
    ),
    entry(
        Area::Device,
        "Reset Jobs",
        "/jobs",
        Some(FunctionalGroup::Phone),
    ),
    entry(
        Area::Security,
        "Certificates",
        "/certificates",
        Some(FunctionalGroup::System),
    ),
    entry(Area::Security, "CTL", "/ctl", Some(FunctionalGroup::System)),
    entry(
        Area::Security,
        "TFTP Files",
        "/tftp-files",
        Some(FunctionalGroup::System),
    ),
    entry(
        Area::User,
        "Users",
        "/users",
        Some(FunctionalGroup::UserManagement),
    ),
    entry(
        Area::User,
        "Access Rights: Functional Groups",
        "/access-rights/functional-groups",
        Some(FunctionalGroup::UserPrivilegeManagement),
    ),
    entry(
        Area::User,
        "Access Rights: User Groups",
        "/access-rights/user-groups",
        Some(FunctionalGroup::UserPrivilegeManagement),
    ),
    entry(
        Area::User,
        "Access Rights: Assign Privileges",
        "/access-rights/assign-privileges",
        Some(FunctionalGroup::UserPrivilegeManagement),
    ),
    entry(
        Area::User,
        "Access Rights: Privilege Report",
        "/access-rights/privilege-report",
        Some(FunctionalGroup::UserPrivilegeManagement),
    ),
    entry(
        Area::User,
        "Audit Log",
        "/audit",
        Some(FunctionalGroup::UserPrivilegeManagement),
    ),
    entry(
        Area::Serviceability,
        "Service Activation",
        "/service-activation",
        Some(FunctionalGroup::Serviceability),
    ),
    entry(
        Area::Serviceability,
        "Control Center",
        "/control-center",
        Some(FunctionalGroup::ServiceManagement),
    ),
    entry(
        Area::Serviceability,
        "Disaster Recovery",
        "/disaster-recovery",
        Some(FunctionalGroup::UserPrivilegeManagement),
    ),
];

/// The areas where `may_read` allows at least one page, each with those pages, in menu-bar
/// order. Pages for every user (password, tokens) are in the user badge, not here.
pub fn areas(may_read: impl Fn(FunctionalGroup) -> bool) -> Vec<(Area, Vec<MenuEntry>)> {
    Area::ALL
        .iter()
        .map(|area| {
            let entries = ENTRIES
                .iter()
                .filter(|e| e.area == *area && e.group.is_none_or(&may_read))
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
        let areas = areas(|_| true);
        assert!(areas.iter().all(|(_, entries)| !entries.is_empty()));
        assert!(areas.iter().any(|(area, _)| *area == Area::User));
        assert!(areas.iter().any(|(area, _)| *area == Area::Serviceability));
    }

    #[test]
    fn r22_no_access_hides_the_menu_entries() {
        let shown = areas(|g| g != FunctionalGroup::UserManagement);
        let user = &shown.iter().find(|(a, _)| *a == Area::User).unwrap().1;
        assert!(!user.iter().any(|e| e.path == "/users"));
        assert!(areas(|_| false).is_empty());
    }
}
