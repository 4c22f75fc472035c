//! The sign-in pages: plain HTML forms a person or a test helper can complete.

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{font-family:system-ui,sans-serif;background:#f2f2f2;margin:0}}\
         main{{max-width:420px;margin:8vh auto;background:#fff;padding:32px 40px;box-shadow:0 2px 6px rgba(0,0,0,.2)}}\
         h1{{font-size:22px;font-weight:600}}input[type=text],input[type=password]{{width:100%;padding:6px 0;border:0;border-bottom:1px solid #666;font-size:15px}}\
         button{{margin-top:20px;padding:6px 24px;font-size:15px}}.primary{{background:#0067b8;color:#fff;border:0}}\
         .error{{color:#e81123}}.hint{{background:#eef6fc;padding:8px 12px;font-size:13px}}.muted{{color:#666;font-size:13px}}</style>\
         </head><body><main><p class=\"muted\">Microsoft Entra ID (emulator)</p>{body}</main></body></html>",
        escape(title)
    )
}

/// One step of the sign-in: a heading, an input and Next (and Cancel, which declines).
#[derive(Debug)]
pub struct Step<'a> {
    pub action: &'a str,
    pub flow: &'a str,
    pub step: &'a str,
    pub heading: &'a str,
    pub context: Option<&'a str>,
    pub field: (&'a str, &'a str, &'a str),
    pub value: &'a str,
    pub error: Option<&'a str>,
    pub hint: Option<String>,
}

pub fn step(s: &Step<'_>) -> String {
    let (name, kind, label) = s.field;
    let mut body = format!("<h1 id=\"heading\">{}</h1>", escape(s.heading));
    if let Some(context) = s.context {
        body.push_str(&format!("<p id=\"account\">{}</p>", escape(context)));
    }
    if let Some(error) = s.error {
        body.push_str(&format!(
            "<p class=\"error\" id=\"error\" role=\"alert\">{}</p>",
            escape(error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\" id=\"form\">\
         <input type=\"hidden\" name=\"flow\" value=\"{}\"><input type=\"hidden\" name=\"step\" value=\"{}\">\
         <label for=\"{name}\">{}</label><input id=\"{name}\" name=\"value\" type=\"{kind}\" value=\"{}\" autofocus autocomplete=\"off\">\
         <button type=\"submit\" name=\"action\" value=\"next\" class=\"primary\" id=\"next\">Next</button> \
         <button type=\"submit\" name=\"action\" value=\"cancel\" id=\"cancel\">Cancel</button></form>",
        escape(s.action),
        escape(s.flow),
        escape(s.step),
        escape(label),
        escape(s.value),
    ));
    if let Some(hint) = &s.hint {
        body.push_str(&format!(
            "<p class=\"hint\" id=\"demo-hint\">{}</p>",
            escape(hint)
        ));
    }
    layout(s.heading, &body)
}

/// `response_mode=form_post`: a page that posts the result to the redirect URI by itself.
pub fn form_post(redirect_uri: &str, fields: &[(&str, &str)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    format!(
        "<!doctype html><html><head><title>Working...</title></head>\
         <body onload=\"document.forms[0].submit()\"><form method=\"POST\" name=\"hiddenform\" action=\"{}\">{inputs}\
         <noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\"></noscript>\
         </form></body></html>",
        escape(redirect_uri)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">O'B & C</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;B &amp; C&lt;/a&gt;"
        );
    }
}
