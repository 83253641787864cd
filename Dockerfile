# Dockerfile - the recipe chatbot's images (docs/docker.md).
#   build    compiles the programs and the chat page with CMake (Release)
#   web      the official nginx image with the page and conf/docker/
#   runtime  (default) chat-fcgi, offline-llm and span-flusher on Debian
#            slim, run as an unprivileged user
ARG DEBIAN_IMAGE=debian:12-slim
ARG NGINX_IMAGE=nginx:1.28.0-alpine
# The page's npm packages want Node >= 20 (marked); Debian 12 has 18.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS node

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config ca-certificates \
      libfcgi-dev libcurl4-openssl-dev libjson-c-dev uuid-dev libcmocka-dev \
      libprotobuf-c-dev protobuf-c-compiler zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version
# Fill npm's cache from the lock file alone, so a source change does not
# fetch the page's libraries again (the build's npm ci prefers the cache).
COPY htdocs/package.json htdocs/package-lock.json /tmp/npm-warm/
RUN cd /tmp/npm-warm \
 && npm ci --no-audit --no-fund --ignore-scripts \
 && rm -rf /tmp/npm-warm
WORKDIR /src
COPY . .
# The programs and the page only: the tests are built and run by make
# test, not in the image.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j"$(nproc)" --target chat-fcgi offline-llm \
      span-flusher spool-tail site

# nginx: the official image; the configuration is rendered at start by
# /docker-entrypoint.d/40-recipe-chat-conf.sh (conf/docker/nginx-render.sh).
FROM ${NGINX_IMAGE} AS web
RUN rm -f /etc/nginx/conf.d/default.conf
COPY --from=build /src/build/htdocs/ /usr/share/recipe-chat/htdocs/
COPY conf/docker/nginx.conf.in conf/fastcgi.conf /etc/nginx/recipe-chat/
COPY conf/docker/nginx-render.sh /docker-entrypoint.d/40-recipe-chat-conf.sh
RUN chmod 0755 /docker-entrypoint.d/40-recipe-chat-conf.sh
EXPOSE 8000

# The programs: only their run-time libraries, no compiler, no node.
FROM ${DEBIAN_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libfcgi0ldbl libfcgi-bin libcurl4 libjson-c5 libuuid1 libprotobuf-c1 \
      zlib1g ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 recipe \
 && useradd --system --uid 10001 --gid recipe --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin recipe \
 && install -d -o recipe -g recipe -m 0750 /var/spool/recipe-chat
COPY --from=build /src/build/bin/ /usr/local/bin/
COPY data/ /usr/share/recipe-chat/data/
COPY conf/docker/entrypoint.sh /usr/local/bin/rc-entrypoint
COPY conf/docker/fcgi-healthz.sh /usr/local/bin/fcgi-healthz
RUN chmod 0755 /usr/local/bin/rc-entrypoint /usr/local/bin/fcgi-healthz
# A fresh named volume on /var/spool/recipe-chat takes this directory's
# owner, so the pool and the flusher can write it without root.
ENV SPOOL_DIR=/var/spool/recipe-chat \
    RECIPES_FILE=/usr/share/recipe-chat/data/recipes.json \
    CHAT_LISTEN=0.0.0.0:9000
USER recipe
EXPOSE 9000
ENTRYPOINT ["rc-entrypoint"]
CMD ["chat-fcgi"]
