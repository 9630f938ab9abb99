//! `tutorwatch example`: one well-formed example event of a type, as JSON (or the list of types).

use anyhow::bail;
use tutorwatch_events::examples::{example, ExampleParams};
use tutorwatch_events::{encode_json, event_type_by_name, EventId, EVENT_TYPES};

pub(crate) fn print_example(event_type: Option<&str>) -> anyhow::Result<()> {
    let Some(name) = event_type else {
        for info in EVENT_TYPES {
            println!("{}", info.name);
        }
        return Ok(());
    };
    let Some(index) = EVENT_TYPES.iter().position(|t| t.name == name) else {
        bail!("unknown event type {name:?}; `tutorwatch example` lists them");
    };
    debug_assert!(event_type_by_name(name).is_some());
    let envelope = example(index, &ExampleParams::new(EventId::new_v7()));
    let value: serde_json::Value = serde_json::from_slice(&encode_json(&envelope)?)?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}
