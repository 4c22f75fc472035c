//! What Graph may do to the items of a delta round (see `quirks` for the documentation):
//! report an object twice, a stale copy before the current one, and split a group's
//! `members@delta` over two items.

use serde_json::{Value, json};

/// The item as one or two items: with more than one `members@delta` entry and `split` on, the
/// first keeps the properties and the first half of the members, the second only the `id` and
/// the rest.
pub(super) fn split_members(mut item: Value, split: bool) -> Vec<Value> {
    let Some(map) = item.as_object_mut() else {
        return vec![item];
    };
    let members = match map.get_mut("members@delta") {
        Some(Value::Array(members)) if split && members.len() > 1 => members,
        _ => return vec![item],
    };
    let rest = members.split_off(members.len() / 2);
    let second =
        json!({"id": map.get("id").cloned().unwrap_or(Value::Null), "members@delta": rest});
    vec![item, second]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_list_is_split_in_two_and_nothing_is_lost() {
        let item = json!({"id": "g", "displayName": "G", "members@delta": [{"id": "a"}, {"id": "b"}, {"id": "c"}]});
        let items = split_members(item.clone(), true);
        assert_eq!(
            items,
            vec![
                json!({"id": "g", "displayName": "G", "members@delta": [{"id": "a"}]}),
                json!({"id": "g", "members@delta": [{"id": "b"}, {"id": "c"}]}),
            ]
        );
        assert_eq!(split_members(item.clone(), false), vec![item]);
        let one = json!({"id": "g", "members@delta": [{"id": "a"}]});
        assert_eq!(split_members(one.clone(), true), vec![one]);
    }
}
