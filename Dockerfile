# swarmlink image: FROM scratch with the static binary, built outside Docker.
#
#   make image                       # builds image swarmlink:dev on $DOCKER_HOST
#
# which is: make build (CGO_ENABLED=0 go build -trimpath
# -ldflags "-s -w -X main.version=$(git describe ...) -X main.revision=$(git rev-parse HEAD)"
# -o bin/swarmlink ., plus the empty writable directories under bin/rootfs/), then
#   DOCKER_BUILDKIT=0 docker build --build-arg VERSION=... --build-arg REVISION=... -t swarmlink:dev .
# The binary carries both; the build args only label the image with them.
# No registry and no base image are needed. To compile inside Docker from a
# golang image instead (a host that can pull), use Dockerfile.multistage.
FROM scratch
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.version=$VERSION org.opencontainers.image.revision=$REVISION

# /tmp and /var/lib/swarmlink (the default data_dir), owned by the agent's
# user. There is no /etc/passwd: the user is numeric and HOME is unused.
COPY --chown=65532:65532 bin/rootfs/ /
COPY bin/swarmlink /swarmlink

# Non-root by default. The Swarm stack runs it as uid 0 with every
# capability dropped to read the Docker socket (see charts/swarm/stack.yml).
USER 65532:65532

# 9470: API, UI, metrics, /healthz. 9471: the peer path (tcp and udp).
EXPOSE 9470/tcp 9471/tcp 9471/udp

# The agent's own liveness only (GET http://127.0.0.1:9470/healthz): a broken
# link to a peer must not get the agent restarted. Exec form: no shell here.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/swarmlink", "healthcheck"]

ENTRYPOINT ["/swarmlink"]
CMD ["agent"]
