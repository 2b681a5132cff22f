# kafka-mtls in a container with a JDK's keytool and openssl, like the
# JDK+openssl container the original script runs in.
#   docker build -t kafka-mtls .
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/work" -e PASSWORD kafka-mtls generate
# Mount the directory that holds (or will hold) certs/, not certs/ itself: the
# new certs/ is swapped in by renaming, which a mount point cannot take.
#
# Or only the single executable, to copy into an image you already have (README: "Drop-in anywhere"):
#   docker build --target bin -t kafka-mtls-bin .          # an image holding /kafka-mtls alone
#   docker build --target bin --output type=local,dest=. . # ./kafka-mtls on the host

FROM node:20-bookworm-slim AS build
# javac compiles java/*.java: the JVM that runs the keytool steps and verify's TLS judge (--release 8: any JRE loads it).
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY templates ./templates
COPY java ./java
COPY scripts/version.mjs scripts/build-java.mjs scripts/build-bin.mjs ./scripts/
# npm ci runs `prepare`, which compiles src/ to dist/ and java/ to its classes.
RUN npm ci

# The single executable: Node's own binary (this image's, glibc x86-64) with the bundled CLI, the
# templates and the keytool host's classes injected (npm run build:bin, without rebuilding dist/).
FROM build AS sea
RUN node scripts/build-bin.mjs

FROM scratch AS bin
COPY --from=sea /app/bin/kafka-mtls /kafka-mtls

FROM build AS prod
RUN npm prune --omit=dev

FROM node:20-bookworm-slim
# keytool ships in the JRE package; the man directory must exist for its post-install step on slim images.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openssl openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=prod /app/package.json ./
COPY --from=prod /app/node_modules ./node_modules
COPY --from=prod /app/dist ./dist
COPY --from=prod /app/templates ./templates
COPY --from=prod /app/java/*.class ./java/
WORKDIR /work
# A young generation of 2 MiB keeps the peak memory of a large run under 90 MiB (scripts/bench.mjs).
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/dist/cli.js"]
CMD ["generate"]
