//! Graph's objects as the store keeps them, and a stored group with a round of changes applied.

use aadsync_directory::graph::{GroupChange, RemoteGroup, RemoteUser};
use aadsync_store::{DirectoryGroup, DirectoryUser, UserType};

pub fn to_directory_user(user: RemoteUser, imported_via: String) -> DirectoryUser {
    let user_type = Some(if user.is_guest() {
        UserType::Guest
    } else {
        UserType::Member
    });
    DirectoryUser {
        object_id: user.id,
        user_principal_name: user.user_principal_name,
        display_name: user.display_name,
        given_name: user.given_name,
        surname: user.surname,
        mail: user.mail,
        job_title: user.job_title,
        department: user.department,
        office_location: user.office_location,
        mobile_phone: user.mobile_phone,
        business_phones: user.business_phones,
        user_type,
        // Unknown is not enabled: nobody gets in on a property Graph did not send.
        account_enabled: user.account_enabled.unwrap_or(false),
        created_in_entra_at: user.created_date_time,
        on_premises_sync_enabled: user.on_premises_sync_enabled,
        imported_via,
    }
}

pub fn to_directory_group(group: RemoteGroup, members: Option<Vec<String>>) -> DirectoryGroup {
    DirectoryGroup {
        object_id: group.id,
        display_name: group.display_name,
        description: group.description,
        mail: group.mail,
        mail_enabled: group.mail_enabled,
        security_enabled: group.security_enabled,
        group_types: group.group_types,
        members,
        members_unreadable: None,
    }
}

pub(crate) fn remote_from_stored(stored: &DirectoryGroup) -> RemoteGroup {
    RemoteGroup {
        id: stored.object_id.clone(),
        display_name: stored.display_name.clone(),
        description: stored.description.clone(),
        mail: stored.mail.clone(),
        mail_enabled: stored.mail_enabled,
        security_enabled: stored.security_enabled,
        group_types: stored.group_types.clone(),
        on_premises_sync_enabled: None,
    }
}

/// A stored group with a round's changes applied: new attributes when Graph sent them, members
/// as stored plus the added minus the removed (members not imported are ignored by the plan).
pub(crate) fn apply_group_change(stored: &DirectoryGroup, change: &GroupChange) -> DirectoryGroup {
    let mut group = match &change.group {
        Some(remote) => to_directory_group(remote.clone(), None),
        // Its members are set below in either case.
        None => stored.clone(),
    };
    let mut members: Vec<String> = stored.members.clone().unwrap_or_default();
    members.retain(|m| !change.removed.contains(m));
    for added in &change.added {
        if !members.contains(added) {
            members.push(added.clone());
        }
    }
    group.members = Some(members);
    group
}
