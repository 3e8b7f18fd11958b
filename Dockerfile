# syntax=docker/dockerfile:1
#
# The driftless binary (validate, plan, apply, history, run) on Debian slim, as the
# Helm chart (charts/driftless) runs it: non-root (65532), read-only root file
# system, state in /var/lib/driftless, HTTP on 8080.
#
#   docker build -t driftless/driftless:0.1.0 .
#   docker run --rm driftless/driftless:0.1.0 validate --help
#
# BuildKit is needed for the cache mounts (the default builder of current Docker).

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-bookworm AS build
# git2 builds libgit2 and libssh2 from their vendored sources and links the
# system OpenSSL (libgit2's https, libssh2's crypto); rusqlite bundles SQLite;
# rustls uses aws-lc-rs (cc, with cmake as its fallback builder). zlib is the
# system one when pkg-config finds it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake libssl-dev pkg-config zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY controller ./controller
# The manifest declares the integration-test target at ../tests/it; it is not built.
COPY tests/it ./tests/it
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked --bin driftless \
 && install -D -m 0755 target/release/driftless /out/driftless

FROM debian:bookworm-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="driftless" \
      org.opencontainers.image.description="Ops-as-code for AWS operations, reconciled from git" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# libssl3 for the OpenSSL that libgit2 and libssh2 were linked with; the CA
# certificates for https git remotes (OpenSSL) and for AWS and Slack (rustls with
# the system's roots, rustls-native-certs). No git binary: libgit2 is built in.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 driftless \
 && useradd --uid 65532 --gid 65532 --home-dir /var/lib/driftless --no-create-home \
      --shell /usr/sbin/nologin driftless \
 && install -d -o 65532 -g 65532 -m 0750 /var/lib/driftless
COPY --from=build /out/driftless /usr/local/bin/driftless
USER 65532:65532
ENV HOME=/var/lib/driftless
WORKDIR /var/lib/driftless
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/driftless"]
CMD ["--help"]
