# syntax=docker/dockerfile:1
# The EdgeCloudVlm edge agent for linux/amd64 and linux/arm64 (x86 gateways, ARM boxes; CPU inference). Build from
# the repository root; the SDK stage runs on the build machine and cross-publishes, so no emulation is needed:
#
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/edge.Dockerfile -t edgecloudvlm-edge:0.1.0 .
#
# Jetson (CUDA/TensorRT through JetPack): docker/edge-jetson.Dockerfile.
#
# Runs as the non-root user 1654 ("app"). Writable paths, all volumes, so the root file system can be read-only:
#   /var/lib/ecv-edge    Edge:DataDirectory: spool, pulled codebooks, results.jsonl, state.json (keep it: the spool
#                        holds frames that have no answer yet)
#   /var/spool/ecv-edge  Edge:Watch:Folder: camera pipelines drop images here (processed/ and failed/ inside)
#   /tmp                 a tmpfs
# The model folder is mounted read-only: -v ./models:/models:ro -e Edge__ModelFolder=/models/shapes-vqa
# Default command: `run` (the daemon); any other ecv-edge command works too, e.g. `ask IMAGE QUESTION`, `status`.

ARG DOTNET_VERSION=10.0

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
ARG TARGETARCH
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY proto/ proto/
COPY shared/ shared/
COPY edge/ edge/
COPY docker/publish.sh docker/publish.sh
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    bash docker/publish.sh edge "$TARGETARCH" /app
# Volume mount points owned by the app user, made here so the target stage needs no RUN (and no emulation).
RUN mkdir -p /volumes/data /volumes/inbox

# The agent hosts its loopback endpoint with Kestrel, so it needs the ASP.NET Core runtime, not only the .NET one.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS edge
WORKDIR /app
COPY --from=build /app ./
COPY --from=build --chown=1654:1654 /volumes/data /var/lib/ecv-edge
COPY --from=build --chown=1654:1654 /volumes/inbox /var/spool/ecv-edge
COPY --chmod=755 docker/healthcheck.sh /usr/local/bin/ecv-healthcheck
ENV ASPNETCORE_HTTP_PORTS= \
    Edge__DataDirectory=/var/lib/ecv-edge \
    Edge__Watch__Folder=/var/spool/ecv-edge
USER 1654:1654
VOLUME ["/var/lib/ecv-edge", "/var/spool/ecv-edge"]
# The local endpoint (Edge:Http, port 5180) listens on loopback only, so the probe runs inside the container.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["ecv-healthcheck", "5180", "/health/live"]
ENTRYPOINT ["dotnet", "/app/ecv-edge.dll"]
CMD ["run"]
