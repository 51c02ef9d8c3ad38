# syntax=docker/dockerfile:1
# The EdgeCloudVlm cloud service (gRPC ingest + OpenAI-compatible REST). Build from the repository root:
#
#   docker build --platform linux/amd64 -f docker/cloud.Dockerfile --target cloud-cpu -t edgecloudvlm-cloud:0.1.0 .
#   docker build --platform linux/amd64 -f docker/cloud.Dockerfile --target cloud-gpu -t edgecloudvlm-cloud:0.1.0-gpu .
#
# linux/amd64 only: Microsoft.ML.OnnxRuntime.Gpu.Linux ships x64 natives only (see docker/publish.sh).
# cloud-gpu needs an NVIDIA driver of the CUDA 13 generation (580 or newer) and the NVIDIA container toolkit on the
# host; its CUDA provider loads CUDA 13 and cuDNN 9 from the base image. The TensorRT provider additionally needs
# TensorRT 10 (libnvinfer.so.10), which this image does not carry: use Models__ExecutionProvider=Cuda or Auto.
#
# Both images run as the non-root user 1654 ("app"), write nothing outside /tmp (mount a tmpfs there when the root
# file system is read-only) and expect models on a volume: -v ./models:/models:ro -e Models__Folders__0=/models/shapes-vqa

ARG DOTNET_VERSION=10.0
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY proto/ proto/
COPY shared/ shared/
COPY cloud/ cloud/
COPY docker/publish.sh docker/publish.sh
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    bash docker/publish.sh cloud amd64 /app

# The CPU image has no use for the CUDA and TensorRT providers (about 270 MB); without them Auto runs on the CPU.
FROM build AS build-cpu
RUN rm /app/libonnxruntime_providers_cuda.so /app/libonnxruntime_providers_tensorrt.so

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS aspnet

FROM ${CUDA_IMAGE} AS cloud-gpu
# The ASP.NET Core runtime comes from the official image of the same Ubuntu release; the app runs with invariant
# globalization (Directory.Build.props), so it needs no ICU.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3t64 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app \
    && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app ./
COPY --chmod=755 docker/healthcheck.sh /usr/local/bin/ecv-healthcheck
ENV Kestrel__Endpoints__Rest__Url=http://+:5080 \
    Kestrel__Endpoints__Grpc__Url=http://+:5081 \
    Models__ExecutionProvider=Cuda
USER 1654:1654
EXPOSE 5080 5081
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["ecv-healthcheck", "5080", "/health/ready"]
ENTRYPOINT ["dotnet", "/app/EdgeCloudVlm.Cloud.dll"]

FROM aspnet AS cloud-cpu
WORKDIR /app
COPY --from=build-cpu /app ./
COPY --chmod=755 docker/healthcheck.sh /usr/local/bin/ecv-healthcheck
# ASPNETCORE_HTTP_PORTS (8080 in the base image) is cleared: the Kestrel endpoints below decide the ports.
ENV ASPNETCORE_HTTP_PORTS= \
    Kestrel__Endpoints__Rest__Url=http://+:5080 \
    Kestrel__Endpoints__Grpc__Url=http://+:5081 \
    Models__ExecutionProvider=Cpu
USER 1654:1654
EXPOSE 5080 5081
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["ecv-healthcheck", "5080", "/health/ready"]
ENTRYPOINT ["dotnet", "/app/EdgeCloudVlm.Cloud.dll"]
