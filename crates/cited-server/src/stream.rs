//! `POST /v1/ask` as server-sent events: the ask runs on the blocking pool and reports through a channel;
//! the response streams what arrives. What a slow `llm` answerer needs: the passages show at once and each
//! sentence as it is verified, and `final` decides what the sentences were.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use cited_core::Citation;
use cited_engine::{AskEvent, AskRequest};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::AppState;
use crate::error::ApiError;

/// A `sentence` event: the sentence with the citations it names.
#[derive(Serialize)]
struct SentenceEvent<'a> {
    index: usize,
    text: &'a str,
    citations: Vec<&'a Citation>,
}

fn event(name: &str, data: &impl Serialize) -> Event {
    Event::default()
        .event(name)
        .json_data(data)
        .unwrap_or_else(|_| {
            Event::default()
                .event("error")
                .data(r#"{"code":"internal"}"#)
        })
}

fn error_event(e: &ApiError) -> Event {
    event(
        "error",
        &serde_json::json!({ "code": e.code, "message": e.message }),
    )
}

/// Streams the ask. The permit is held until the ask is done, even if the client goes away.
pub fn ask(
    state: AppState,
    request: AskRequest,
    permit: OwnedSemaphorePermit,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // Bounded: a client that stops reading stalls its own ask, not the server's memory.
    let (tx, rx) = mpsc::channel::<Event>(64);
    let progress = tx.clone();
    let metrics = state.metrics.clone();
    tokio::spawn(async move {
        let result = state
            .blocking(move |engine| {
                let _permit = permit;
                engine.ask_with_events(&request, &mut |e| {
                    let ev = match e {
                        AskEvent::Retrieved(passages) => {
                            event("retrieved", &serde_json::json!({ "passages": passages }))
                        }
                        AskEvent::Sentence {
                            index,
                            sentence,
                            citations,
                        } => event(
                            "sentence",
                            &SentenceEvent {
                                index,
                                text: &sentence.text,
                                citations: citations
                                    .iter()
                                    .filter(|c| sentence.citations.contains(&c.n))
                                    .collect(),
                            },
                        ),
                    };
                    // A closed stream (the client left) is not the ask's failure.
                    let _ = progress.blocking_send(ev);
                })
            })
            .await;
        let last = match result {
            Ok(response) => {
                metrics.answer(&response.status.to_string());
                event("final", &response)
            }
            Err(e) => error_event(&e),
        };
        let _ = tx.send(last).await;
    });
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
        );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
