//! A `$batch` answer as the batcher reads it: each inner answer's ID, status and headers, and
//! its body kept as JSON text for the caller to read as what it expects (a page of users is
//! read straight into users, never into a `Value` tree first).
//!
//! Read leniently: an answer that is no object, or has no `responses` list, answers nothing;
//! an inner answer that is no object answers nothing. Either way the requests it did not
//! answer are asked again (`Batches`), as when Graph leaves one out.

use crate::graph::client::GraphError;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The inner answers of one `$batch` answer.
#[derive(Default)]
pub(crate) struct BatchAnswer {
    pub responses: Vec<InnerAnswer>,
}

/// One inner answer: `id`, `status` and `headers` as sent (`Null` when absent).
#[derive(Deserialize)]
pub(crate) struct InnerAnswer {
    #[serde(default)]
    pub id: Value,
    #[serde(default)]
    pub status: Value,
    #[serde(default)]
    pub headers: Value,
    #[serde(default = "Body::null")]
    pub body: Body,
}

impl InnerAnswer {
    /// The HTTP status; not a status (absent, or out of range: 65,736 is no 200) is 0, an
    /// error for the caller.
    pub fn status(&self) -> u16 {
        self.status
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(0)
    }
}

/// An inner answer's body as its JSON text (`null` when absent).
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct Body(Box<RawValue>);

impl Body {
    fn null() -> Self {
        Self(RawValue::NULL.to_owned())
    }

    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// The body as a `Value`, for an error answer's code and message (`Null` when it holds
    /// none a `Value` can read).
    pub fn value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }

    /// The body as a `Value`, or an error: a body the client cannot read is never taken for
    /// an empty one (a group read by ID and answered unreadably is not a deleted group).
    pub fn read(&self) -> Result<Value, GraphError> {
        serde_json::from_str(self.0.get()).map_err(|e| {
            GraphError::unreadable(format!(
                "Microsoft Graph answered a request of a $batch unreadably ({e})"
            ))
        })
    }
}

#[derive(Deserialize)]
struct Outer<'a> {
    #[serde(borrow, default)]
    responses: Option<&'a RawValue>,
}

impl BatchAnswer {
    /// The answer in `text` (checked to be JSON by the client).
    pub fn read(text: &str) -> Self {
        // Only an object: a derived reader would also take a list, field by field.
        if !text.trim_start().starts_with('{') {
            return Self::default();
        }
        let Some(responses) = serde_json::from_str::<Outer<'_>>(text)
            .ok()
            .and_then(|o| o.responses)
            .and_then(|r| serde_json::from_str::<Vec<&RawValue>>(r.get()).ok())
        else {
            return Self::default();
        };
        let responses = responses
            .into_iter()
            .filter(|r| r.get().starts_with('{'))
            .filter_map(|r| serde_json::from_str(r.get()).ok())
            .collect();
        Self { responses }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_no_answer_answers_nothing() {
        for text in [
            "[]",
            "null",
            "{}",
            r#"{"responses":{}}"#,
            r#"{"responses":[1,"a",null]}"#,
            r#"[[{"id":"1","status":200,"body":{}}]]"#,
        ] {
            assert!(BatchAnswer::read(text).responses.is_empty(), "{text}");
        }
        let answer = BatchAnswer::read(
            r#"{"responses":[7,{"id":"1","status":200,"body":{"value":[]}},{"id":"2"}]}"#,
        );
        let read: Vec<(Value, Value, &str)> = answer
            .responses
            .iter()
            .map(|r| (r.id.clone(), r.status.clone(), r.body.text()))
            .collect();
        assert_eq!(
            read,
            [
                (Value::from("1"), Value::from(200), r#"{"value":[]}"#),
                (Value::from("2"), Value::Null, "null"),
            ]
        );
    }
}
