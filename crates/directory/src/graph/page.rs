//! One page of a Graph collection read from its JSON text: the objects typed one by one, the
//! paging links as they came. No `serde_json::Value` tree is built for the objects: at
//! 100,000 users with their members, building and dropping that tree cost the client more
//! than the HTTP exchange (BENCHMARKS.md, issue 17). Properties the client does not read are
//! passed over checked for JSON's syntax only: a number beyond an f64, a lone surrogate escape
//! or nesting deeper than 128 there is accepted, where a `Value` would refuse the page.

use super::client::GraphError;
use super::model::ObjectVisitor;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// A collection page: each object of `value` still as its JSON text.
#[derive(Default)]
pub(super) struct Page<'a> {
    value: Option<Vec<&'a RawValue>>,
    /// `@odata.nextLink` as sent (`Null` when absent), for the pager to check.
    pub next_link: Value,
    /// `@odata.count` as sent (`Null` when absent).
    pub count: Value,
}

impl<'a> Page<'a> {
    /// The page in `text`; anything but a JSON object is an error, never an empty page.
    pub fn read(text: &'a str) -> Result<Self, GraphError> {
        serde_json::from_str(text).map_err(|e| {
            GraphError::unreadable(format!("Microsoft Graph answered an unreadable page ({e})"))
        })
    }

    /// Every object of the page read with `read`, or an error naming the first unreadable
    /// one: a listing that skipped it would report the object as gone from the tenant. A page
    /// without its `value` list is an error too.
    pub fn objects<T>(
        &self,
        read: impl Fn(&str) -> Option<T>,
        kind: &str,
    ) -> Result<Vec<T>, GraphError> {
        let items = self.value.as_ref().ok_or_else(|| {
            GraphError::unreadable("Microsoft Graph answered a page without its list of objects")
        })?;
        items
            .iter()
            .map(|item| {
                read(item.get()).ok_or_else(|| {
                    let id = serde_json::from_str::<Value>(item.get())
                        .map(|v| v["id"].to_string())
                        .unwrap_or_default();
                    GraphError::unreadable(format!(
                        "Microsoft Graph described the {kind} {id} unreadably"
                    ))
                })
            })
            .collect()
    }
}

#[derive(Deserialize)]
enum PageField {
    #[serde(rename = "value")]
    Value,
    #[serde(rename = "@odata.nextLink")]
    NextLink,
    #[serde(rename = "@odata.count")]
    Count,
    #[serde(other)]
    Other,
}

impl From<PageField> for usize {
    fn from(field: PageField) -> usize {
        field as usize
    }
}

// Read through the slots of `model.rs`, for the reasons given there: only an object is a
// page, and the last of a property named twice counts, whatever an earlier one held.
impl<'de: 'a, 'a> Deserialize<'de> for Page<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(
            ObjectVisitor::<'de, PageField, _, { PageField::Other as usize }> {
                what: "a page of a collection",
                build: |p| {
                    Ok(Page {
                        value: p.get(PageField::Value)?,
                        next_link: p.get(PageField::NextLink)?.unwrap_or_default(),
                        count: p.get(PageField::Count)?.unwrap_or_default(),
                    })
                },
                field: std::marker::PhantomData,
            },
        )
    }
}
