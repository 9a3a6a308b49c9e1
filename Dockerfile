# quotad: build with Swift on Debian bookworm, run on the slim image with libevent, OpenSSL, SQLite
# and libpq (PostgreSQL's C client, for --store postgres://).
FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libevent-dev libsqlite3-dev libpq-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY api ./api
RUN swift build -c release --product quotad \
 && mkdir -p /out \
 && cp .build/release/quotad /out/ \
 && cp -R .build/release/quotad_QuotaServer.resources /out/

FROM swift:6.3-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libevent-2.1-7 libevent-openssl-2.1-7 libssl3 libsqlite3-0 libpq5 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/quotad quotad \
 && mkdir -p /var/lib/quotad && chown quotad /var/lib/quotad
COPY --from=build /out/ /usr/local/bin/
USER quotad
VOLUME /var/lib/quotad
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# Off loopback quotad refuses to start without authentication: run the image with
# `--tokens /run/secrets/quotad-tokens.yaml` (and --tls-cert/--tls-key), see README "Securing quotad".
ENTRYPOINT ["quotad", "--listen", "0.0.0.0:8080", "--data-dir", "/var/lib/quotad"]
