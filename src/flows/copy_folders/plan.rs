//! What one pass does with a folder's items/delta round, item by item. Pure: the flow looks each item up
//! in the item map (or the caller's store) and imports what this decides.

use alloc::string::String;
use alloc::vec::Vec;

use crate::codec::json::Value;
use crate::flows::copy::Planned;
use crate::flows::copy_folders::state::CopiedItem;

/// A changed or new item of the round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The item's id in the source mailbox.
    pub source_id: String,
    /// Its change key as the round listed it; `None` when the listing had none.
    pub source_change_key: Option<String>,
}

/// The round's changed entries, one per id (an id listed on two pages counts once, as its last listing).
/// Walked from the end with an open-addressing set of ids seen (as `copy::has_duplicates`): linear, and
/// far smaller in wasm than a map.
pub fn changes(changed: &[Value]) -> Vec<Change> {
    let slots = (changed.len() * 2).next_power_of_two().max(2);
    let mut seen: Vec<usize> = alloc::vec![usize::MAX; slots];
    let id_at = |i: usize| changed[i].get_str("id").unwrap_or_default();
    let mut kept: Vec<Change> = Vec::new();
    for (i, value) in changed.iter().enumerate().rev() {
        let id = id_at(i);
        if id.is_empty() {
            continue;
        }
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let mut slot = hash as usize & (slots - 1);
        let first_sight = loop {
            match seen[slot] {
                usize::MAX => {
                    seen[slot] = i;
                    break true;
                }
                other if id_at(other) == id => break false,
                _ => slot = (slot + 1) & (slots - 1),
            }
        };
        if first_sight {
            kept.push(Change {
                source_id: id.into(),
                source_change_key: value.get_str("changeKey").map(Into::into),
            });
        }
    }
    kept.reverse();
    kept
}

/// What to do with one changed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No copy is known: import it as a new item.
    Create,
    /// Its copy is known and the source changed: import it over the copy.
    Update {
        /// The copy's id in the target mailbox.
        item_id: String,
        /// The copy's change key, which guards the update.
        change_key: String,
    },
    /// Its copy is known and the source has not changed since (a round seen again after a stop).
    Unchanged,
    /// An earlier create never answered; it is not sent again unless asked (it may exist already).
    LeftUnknown,
    /// An earlier create never answered and the caller asked to send it again.
    Retry,
}

/// Decides for one item from what the map knows of it.
pub fn decide(
    change: &Change,
    known: Option<&CopiedItem>,
    retry_outcome_unknown: bool,
) -> Decision {
    match known {
        None => Decision::Create,
        Some(CopiedItem::OutcomeUnknown) if retry_outcome_unknown => Decision::Retry,
        Some(CopiedItem::OutcomeUnknown) => Decision::LeftUnknown,
        Some(CopiedItem::Imported {
            item_id,
            change_key,
            source_change_key,
        }) => {
            let same = source_change_key.is_some()
                && change.source_change_key.is_some()
                && *source_change_key == change.source_change_key;
            if same {
                Decision::Unchanged
            } else {
                Decision::Update {
                    item_id: item_id.clone(),
                    change_key: change_key.clone(),
                }
            }
        }
    }
}

/// A folder's plan for this pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The items to export and import, in the round's order.
    pub items: Vec<Planned>,
    /// Items whose copy is already up to date: nothing to send.
    pub unchanged: u64,
    /// Items left `outcomeUnknown` by an earlier pass and not sent again (no `retryOutcomeUnknown`).
    pub left_unknown: u64,
}

impl Plan {
    /// Adds `change` to the plan as `decision` says, or counts it when nothing is to be sent.
    pub fn add(&mut self, change: Change, decision: Decision) {
        let (update, write_ahead) = match decision {
            Decision::Create => (None, true),
            Decision::Retry => (None, false),
            Decision::Update {
                item_id,
                change_key,
            } => (Some((item_id, change_key)), false),
            Decision::Unchanged => {
                self.unchanged += 1;
                return;
            }
            Decision::LeftUnknown => {
                self.left_unknown += 1;
                return;
            }
        };
        self.items.push(Planned {
            source_id: change.source_id,
            source_change_key: change.source_change_key,
            update,
            write_ahead,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::parse;

    fn imported(source_key: Option<&str>) -> CopiedItem {
        CopiedItem::Imported {
            item_id: "copy".into(),
            change_key: "copy-ck".into(),
            source_change_key: source_key.map(Into::into),
        }
    }

    fn change(key: Option<&str>) -> Change {
        Change {
            source_id: "s".into(),
            source_change_key: key.map(Into::into),
        }
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn new_items_are_created_and_changed_ones_update_their_copy() {
        assert_eq!(decide(&change(Some("k1")), None, false), Decision::Create);
        let update = Decision::Update {
            item_id: "copy".into(),
            change_key: "copy-ck".into(),
        };
        assert_eq!(
            decide(&change(Some("k2")), Some(&imported(Some("k1"))), false),
            update
        );
        assert_eq!(
            decide(&change(Some("k1")), Some(&imported(Some("k1"))), false),
            Decision::Unchanged
        );
        // Without change keys to compare, a listed item is taken as changed (an update, never a second copy).
        assert_eq!(
            decide(&change(None), Some(&imported(Some("k1"))), false),
            update
        );
        assert_eq!(
            decide(&change(Some("k1")), Some(&imported(None)), false),
            update
        );
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn outcome_unknown_items_are_left_unless_asked() {
        let unknown = CopiedItem::OutcomeUnknown;
        assert_eq!(
            decide(&change(None), Some(&unknown), false),
            Decision::LeftUnknown
        );
        assert_eq!(decide(&change(None), Some(&unknown), true), Decision::Retry);
    }

    #[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
    fn a_round_lists_each_item_once() {
        let changed = parse(r#"[{"id":"a","changeKey":"1"},{"id":"b"},{"id":"a","changeKey":"2"},{"changeKey":"x"}]"#).unwrap();
        let listed = changes(changed.as_array().unwrap());
        assert_eq!(
            listed,
            vec![
                Change {
                    source_id: "b".into(),
                    source_change_key: None
                },
                Change {
                    source_id: "a".into(),
                    source_change_key: Some("2".into())
                },
            ]
        );
        let mut plan = Plan::default();
        plan.add(listed[0].clone(), Decision::Create);
        plan.add(listed[1].clone(), Decision::Unchanged);
        plan.add(listed[1].clone(), Decision::LeftUnknown);
        plan.add(
            listed[1].clone(),
            Decision::Update {
                item_id: "c".into(),
                change_key: "ck".into(),
            },
        );
        assert_eq!(
            (plan.items.len(), plan.unchanged, plan.left_unknown),
            (2, 1, 1)
        );
        assert_eq!(plan.items[1].update, Some(("c".into(), "ck".into())));
        // Only a create of an unknown item is recorded ahead of its post.
        plan.add(listed[1].clone(), Decision::Retry);
        let ahead: Vec<bool> = plan.items.iter().map(|p| p.write_ahead).collect();
        assert_eq!(ahead, [true, false, false]);
        assert_eq!(plan.items[2].update, None);
    }
}
