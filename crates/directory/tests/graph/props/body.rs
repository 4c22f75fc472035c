//! Size-capped body reading (`body::read_capped`) over raw HTTP framings: `Content-Length`
//! true, short or long, chunked whole or cut, and close-delimited. The body read is exactly
//! the body HTTP delivers, within the cap, or an error.

use super::{config, stub};
use aadsync_directory::body::{BodyError, read_capped};
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone)]
enum Framing {
    /// `Content-Length` of the body's length plus this (negative: fewer than sent).
    Length(i64),
    /// Chunks of these sizes (cycled), cut after this many bytes of the chunked stream.
    Chunked(Vec<usize>, Option<usize>),
    Close,
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        3 => Just(Framing::Length(0)),
        1 => (-50i64..50).prop_map(Framing::Length),
        2 => (prop::collection::vec(1usize..300, 1..4), prop::option::weighted(0.3, any::<usize>()))
            .prop_map(|(sizes, cut)| Framing::Chunked(sizes, cut)),
        1 => Just(Framing::Close),
    ]
}

/// The raw answer, and the body HTTP says it carries (`None`: the framing is incomplete).
fn answer(body: &[u8], framing: &Framing) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n".to_vec();
    match framing {
        Framing::Length(delta) => {
            let declared = (body.len() as i64 + delta).max(0) as usize;
            out.extend(format!("content-length: {declared}\r\n\r\n").as_bytes());
            out.extend(body);
            let delivered = (declared <= body.len()).then(|| body[..declared].to_vec());
            (out, delivered)
        }
        Framing::Chunked(sizes, cut) => {
            out.extend(b"transfer-encoding: chunked\r\n\r\n");
            let head = out.len();
            let mut rest = body;
            for size in sizes.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (part, tail) = rest.split_at((*size).min(rest.len()));
                out.extend(format!("{:x}\r\n", part.len()).as_bytes());
                out.extend(part);
                out.extend(b"\r\n");
                rest = tail;
            }
            out.extend(b"0\r\n\r\n");
            match cut {
                Some(cut) => {
                    let stream = out.len() - head;
                    out.truncate(head + cut % stream);
                    (out, None)
                }
                None => (out, Some(body.to_vec())),
            }
        }
        Framing::Close => {
            out.extend(b"connection: close\r\n\r\n");
            out.extend(body);
            (out, Some(body.to_vec()))
        }
    }
}

async fn read(http: reqwest::Client, raw: Vec<u8>, cap: usize) -> Result<Vec<u8>, BodyError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(&raw).await;
            let _ = socket.shutdown().await;
        }
    });
    let response = http.get(url).send().await.map_err(BodyError::Http)?;
    read_capped(response, cap).await
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_body_is_read_whole_within_the_cap_or_refused(
        body in prop::collection::vec(any::<u8>(), 0..1200),
        framing in framing(),
        cap in 0usize..1500,
    ) {
        let (raw, delivered) = answer(&body, &framing);
        let read = stub().run(read(stub().http(), raw, cap));
        match (delivered, read) {
            (Some(whole), Ok(got)) => {
                prop_assert!(whole.len() <= cap);
                prop_assert_eq!(got, whole);
            }
            (Some(whole), Err(e)) => {
                prop_assert!(whole.len() > cap && e.is_too_large(), "{}", e);
            }
            (None, read) => prop_assert!(read.is_err(), "an incomplete body read as {:?}", read),
        }
    }
}
