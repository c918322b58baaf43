# skiff as a container image, run as k3s' image is (docs/operations.md, "Container image"):
#
#   docker build -t skiff .                      # or: podman build -t skiff .
#   docker run -d --name skiff --privileged -p 6443:6443 -v skiff-data:/var/lib/skiff skiff   # skiff server
#   docker exec skiff skiff kubectl get nodes
#
# Stages: `builder` compiles skiff (release, Swift runtime linked statically: needs the network for the Swift
# packages); `runtime-base` is Debian with containerd, runc, the CNI plugins and the network tools the agent calls;
# `runtime-prebuilt` puts a skiff built elsewhere into it (build context: a directory holding `skiff` and
# `swift-libs/`, the Swift runtime's shared libraries when the binary links them dynamically, else empty);
# `runtime` (the default) takes the builder's binary. Both base images can be overridden (a local mirror, a locally
# imported Debian): --build-arg SWIFT_IMAGE=… / RUNTIME_IMAGE=….
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS builder
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --product skiff --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/skiff" /out/skiff \
    && /out/skiff --version

FROM ${RUNTIME_IMAGE} AS runtime-base
# containerd (with ctr), runc and the CNI plugins run the pods; iptables, nftables and iproute2 are what the agent
# calls for masquerading, the service proxy and routes; kmod for modprobe; libsqlite3 and zlib are skiff's own
# shared libraries besides libc and libstdc++.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        containerd runc containernetworking-plugins iptables nftables iproute2 kmod mount ca-certificates \
        libsqlite3-0 zlib1g \
    && rm -rf /var/lib/apt/lists/*
# The data dir must not be on the container's overlay root: containerd's overlayfs snapshots live under it.
VOLUME /var/lib/skiff
EXPOSE 6443
ENTRYPOINT ["/usr/local/bin/skiff"]
CMD ["server"]

FROM runtime-base AS runtime-prebuilt
COPY swift-libs/ /usr/local/lib/skiff/
COPY skiff /usr/local/bin/skiff
RUN echo /usr/local/lib/skiff >/etc/ld.so.conf.d/skiff.conf && ldconfig && /usr/local/bin/skiff --version

FROM runtime-base AS runtime
COPY --from=builder /out/skiff /usr/local/bin/skiff
