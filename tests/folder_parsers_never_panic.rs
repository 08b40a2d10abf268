//! Property tests for what copyFolders reads: delta pages from Graph and states from callers. Whatever
//! arrives, the answer is a value or a refusal, never a panic (a panic in wasm aborts the module).

#![cfg(not(target_arch = "wasm32"))]

use graph_mailbox_import::flows::copy_folders::state::CopyState;
use graph_mailbox_import::wire::folders::parse_delta_page;
use proptest::prelude::*;

fn soup() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex(r#"[{}\[\]":,\\0-9a-z .@]{0,120}"#).unwrap(),
        any::<String>(),
    ]
}

const STATE: &str = r#"{"version":1,"source":{"mailboxId":"MBX:s"},"target":{"mailboxId":"MBX:t"},"includeHidden":false,"rootId":"r","foldersDeltaLink":"https://graph.microsoft.com/v1.0/d","folders":[{"id":"f","name":"Inbox","type":"IPF.Note","wellKnownName":"inbox","targetId":"t"}],"items":{"a":["i","c","k","s"],"b":["u"]}}"#;
const PAGE: &str = r#"{"value":[{"id":"a","changeKey":"k"},{"id":"b","@removed":{"reason":"deleted"}}],"@odata.deltaLink":"https://graph.microsoft.com/v1.0/d?$deltatoken=1"}"#;

proptest! {
    #[test]
    fn states_and_pages_never_panic(text in soup()) {
        let _ = CopyState::from_json(&text);
        let _ = parse_delta_page(&text);
    }

    #[test]
    fn damaged_states_and_pages_never_panic(cut in 0usize..400, splice in soup()) {
        for body in [STATE, PAGE] {
            let mut at = cut.min(body.len());
            while !body.is_char_boundary(at) {
                at -= 1;
            }
            let damaged = [&body[..at], &splice, &body[at..]].concat();
            let _ = CopyState::from_json(&damaged);
            let _ = parse_delta_page(&damaged);
            let _ = CopyState::from_json(&body[..at]);
        }
    }
}

#[test]
fn the_samples_parse() {
    let state = CopyState::from_json(STATE).unwrap();
    assert_eq!(state.to_json(), STATE);
    assert_eq!(parse_delta_page(PAGE).unwrap().removed, ["b"]);
}
