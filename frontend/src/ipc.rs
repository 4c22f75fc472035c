//! Typed calls to the Tauri backend. The only file that touches `window.__TAURI__`.

use aadsync_ipc::{ARGS_KEY, Command, ErrorCode, IpcError};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["window", "__TAURI__", "core"], js_name = invoke)]
    async fn tauri_invoke(command: &str, payload: JsValue) -> Result<JsValue, JsValue>;
}

/// Calls the backend command `C` and decodes its answer.
pub async fn call<C: Command>(args: &C::Args) -> Result<C::Output, IpcError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args.serialize(&serializer).map_err(|err| {
        IpcError::new(
            ErrorCode::Ipc,
            format!("Could not encode the {} request: {err}", C::NAME),
        )
    })?;
    let payload = js_sys::Object::new();
    js_sys::Reflect::set(&payload, &JsValue::from_str(ARGS_KEY), &args)
        .map_err(|err| decode_error(C::NAME, err))?;
    match tauri_invoke(C::NAME, payload.into()).await {
        Ok(value) => serde_wasm_bindgen::from_value(value).map_err(|err| {
            IpcError::new(
                ErrorCode::Ipc,
                format!(
                    "The backend answered {} in an unexpected shape: {err}",
                    C::NAME
                ),
            )
        }),
        Err(err) => Err(decode_error(C::NAME, err)),
    }
}

/// Backend errors arrive as serialised [`IpcError`]s; anything else (a missing `__TAURI__`
/// outside the app, a command the capability does not grant) becomes an [`ErrorCode::Ipc`].
fn decode_error(command: &str, err: JsValue) -> IpcError {
    if let Ok(decoded) = serde_wasm_bindgen::from_value::<IpcError>(err.clone()) {
        return decoded;
    }
    let detail = err
        .as_string()
        .or_else(|| {
            err.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| "no details".to_owned());
    IpcError::new(
        ErrorCode::Ipc,
        format!("The aadsync backend did not answer {command}: {detail}"),
    )
}
