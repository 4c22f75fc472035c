// Loads the Leptos app: wasm-bindgen's glue, then the WebAssembly beside it. A file rather than
// an inline script, so the page needs no CSP hash (tauri.conf.json allows scripts from 'self').
import init from "./aadsync-frontend.js";

await init({ module_or_path: new URL("aadsync-frontend_bg.wasm", import.meta.url) });
