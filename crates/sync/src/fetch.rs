//! Reading objects by ID: `$batch` for a few, listing everything for many (whichever costs
//! fewer requests), in the order asked, with `None` for what Graph does not have.

use crate::model::LIST_INSTEAD_OF_BATCH;
use aadsync_directory::graph::{GraphClient, GraphError, RemoteGroup, RemoteUser, batch_error};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Users by ID (or UPN), in the order asked; `None` for those Graph does not have.
pub(crate) async fn fetch_users(
    graph: &GraphClient,
    ids: &[String],
    counted: &mut (dyn FnMut(u64) + Send),
) -> Result<Vec<(String, Option<RemoteUser>)>, GraphError> {
    if ids.len() > LIST_INSTEAD_OF_BATCH {
        let wanted: HashSet<String> = ids.iter().map(|id| id.to_lowercase()).collect();
        let mut by_key: HashMap<String, RemoteUser> = HashMap::with_capacity(ids.len());
        graph
            .users(None, |page| {
                counted(page.len() as u64);
                for user in page {
                    let id = user.id.to_lowercase();
                    let upn = user.user_principal_name.as_deref().map(str::to_lowercase);
                    // Kept once, under whichever key the caller asked for.
                    if wanted.contains(&id) {
                        by_key.insert(id, user);
                    } else if let Some(upn) = upn.filter(|u| wanted.contains(u)) {
                        by_key.insert(upn, user);
                    }
                }
            })
            .await?;
        return Ok(ids
            .iter()
            .map(|id| (id.clone(), by_key.remove(&id.to_lowercase())))
            .collect());
    }
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(400) {
        let by_id = graph.users_by_ids(chunk).await?;
        counted(chunk.len() as u64);
        let missing: HashSet<&String> = by_id.missing.iter().collect();
        let mut found: BTreeMap<String, RemoteUser> = BTreeMap::new();
        for user in by_id.found {
            if let Some(upn) = &user.user_principal_name {
                found.insert(upn.to_lowercase(), user.clone());
            }
            found.insert(user.id.to_lowercase(), user);
        }
        for id in chunk {
            let user = if missing.contains(id) {
                None
            } else {
                found.get(&id.to_lowercase()).cloned()
            };
            out.push((id.clone(), user));
        }
    }
    Ok(out)
}

pub(crate) async fn fetch_groups(
    graph: &GraphClient,
    ids: &[String],
) -> Result<Vec<(String, Option<RemoteGroup>)>, GraphError> {
    if ids.len() > LIST_INSTEAD_OF_BATCH / 4 {
        // 20 groups per $batch vs 999 per page: past a few hundred, listing is cheaper.
        let mut all: BTreeMap<String, RemoteGroup> = BTreeMap::new();
        graph
            .groups(None, |page| {
                all.extend(page.into_iter().map(|g| (g.id.to_lowercase(), g)));
            })
            .await?;
        return Ok(ids
            .iter()
            .map(|id| (id.clone(), all.get(&id.to_lowercase()).cloned()))
            .collect());
    }
    let paths: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                "/groups/{}?$select={}",
                url_escape(id),
                aadsync_directory::graph::GROUP_SELECT
            )
        })
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for (id, (status, body)) in ids.iter().zip(graph.batch_get(&paths).await?) {
        match status {
            // Answered, but not as a group: an error, never "gone from the tenant".
            200 => match RemoteGroup::from_json(body) {
                Some(group) => out.push((id.clone(), Some(group))),
                None => {
                    return Err(GraphError::unreadable(format!(
                        "Microsoft Graph described the group {id} unreadably"
                    )));
                }
            },
            404 => out.push((id.clone(), None)),
            _ => return Err(batch_error(status, &body)),
        }
    }
    Ok(out)
}

fn url_escape(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '@'))
        .collect()
}
