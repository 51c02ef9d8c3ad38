# syntax=docker/dockerfile:1
# The EdgeCloudVlm edge agent for NVIDIA Jetson (Orin, JetPack 6 / L4T r36): the vision head runs on the GPU through
# ONNX Runtime's CUDA (default) or TensorRT provider. Build on a Jetson or an arm64 builder (a full ONNX Runtime build:
# about an hour on an AGX Orin); documented here, not built in this repository's CI:
#
#   docker buildx build --platform linux/arm64 -f docker/edge-jetson.Dockerfile -t edgecloudvlm-edge:0.1.0-jetson .
#   docker run --runtime nvidia ... edgecloudvlm-edge:0.1.0-jetson     (Kubernetes: the chart's edge.gpu settings)
#
# The NuGet package Microsoft.ML.OnnxRuntime carries CPU-only arm64 natives, and Microsoft publishes no JetPack build
# for C#, so the ort stage builds the same ONNX Runtime release (ORT_VERSION must equal the Microsoft.ML.OnnxRuntime
# version in Directory.Packages.props, which the deployment tests check) against JetPack's CUDA, cuDNN and TensorRT,
# and the final image swaps it in for the CPU natives. CUDA_ARCHITECTURES: 87 = Orin, 72 = Xavier.
# Volumes, user and health check as in docker/edge.Dockerfile.

ARG DOTNET_VERSION=10.0
ARG L4T_IMAGE=nvcr.io/nvidia/l4t-jetpack:r36.4.0
ARG ORT_VERSION=1.31.1
ARG CUDA_ARCHITECTURES=87

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION}-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY proto/ proto/
COPY shared/ shared/
COPY edge/ edge/
COPY docker/publish.sh docker/publish.sh
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    bash docker/publish.sh edge arm64 /app \
    && rm /app/libonnxruntime.so /app/libonnxruntime_providers_shared.so
RUN mkdir -p /volumes/data /volumes/inbox

FROM ${L4T_IMAGE} AS ort
ARG ORT_VERSION
ARG CUDA_ARCHITECTURES
RUN apt-get update \
    && apt-get install -y --no-install-recommends git build-essential python3 python3-dev python3-pip python3-numpy \
    && rm -rf /var/lib/apt/lists/* \
    && pip3 install --no-cache-dir "cmake>=3.28" packaging wheel
RUN git clone --depth 1 --branch "v${ORT_VERSION}" --recursive --shallow-submodules \
        https://github.com/microsoft/onnxruntime /ort
WORKDIR /ort
RUN ./build.sh --config Release --update --build --parallel --build_shared_lib --skip_tests --allow_running_as_root \
        --use_cuda --cuda_home /usr/local/cuda --cudnn_home /usr/lib/aarch64-linux-gnu \
        --use_tensorrt --tensorrt_home /usr/lib/aarch64-linux-gnu \
        --cmake_extra_defines "CMAKE_CUDA_ARCHITECTURES=${CUDA_ARCHITECTURES}" onnxruntime_BUILD_UNIT_TESTS=OFF \
    && mkdir /ort-lib \
    && cp -L build/Linux/Release/libonnxruntime.so build/Linux/Release/libonnxruntime_providers_shared.so \
        build/Linux/Release/libonnxruntime_providers_cuda.so build/Linux/Release/libonnxruntime_providers_tensorrt.so /ort-lib/

FROM --platform=linux/arm64 mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS aspnet

FROM ${L4T_IMAGE} AS edge-jetson
# The .NET runtime from the official image (portable build; runs on L4T's Ubuntu 22.04). Invariant globalization: no ICU.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app \
    && useradd --uid 1654 --gid 1654 --groups video --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app ./
COPY --from=ort /ort-lib/ ./
COPY --from=build --chown=1654:1654 /volumes/data /var/lib/ecv-edge
COPY --from=build --chown=1654:1654 /volumes/inbox /var/spool/ecv-edge
COPY --chmod=755 docker/healthcheck.sh /usr/local/bin/ecv-healthcheck
ENV Edge__DataDirectory=/var/lib/ecv-edge \
    Edge__Watch__Folder=/var/spool/ecv-edge \
    Edge__ExecutionProvider=Cuda
USER 1654:1654
VOLUME ["/var/lib/ecv-edge", "/var/spool/ecv-edge"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 CMD ["ecv-healthcheck", "5180", "/health/live"]
ENTRYPOINT ["dotnet", "/app/ecv-edge.dll"]
CMD ["run"]
