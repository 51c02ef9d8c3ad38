#!/usr/bin/env bash
# Publishes one service exactly as the images do: Release, framework-dependent, for one Linux architecture.
# The Dockerfiles run this script and the deployment tests run it too, so what the tests check is what ships.
#
#   docker/publish.sh cloud|edge ARCH OUTPUT [extra dotnet publish arguments...]
#
# ARCH is Docker's TARGETARCH (amd64, arm64) or the .NET name (x64, arm64). The cloud is linux/amd64 only: its
# ONNX Runtime package (Microsoft.ML.OnnxRuntime.Gpu.Linux) ships x64 natives only.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 cloud|edge ARCH OUTPUT [dotnet publish arguments...]" >&2
  exit 2
fi
service=$1 arch=$2 output=$3
shift 3

case "$arch" in
  amd64 | x64) rid=linux-x64 ;;
  arm64 | aarch64) rid=linux-arm64 ;;
  *) echo "unsupported architecture '$arch' (amd64/x64 or arm64)" >&2; exit 2 ;;
esac

case "$service" in
  cloud)
    project=cloud/EdgeCloudVlm.Cloud/EdgeCloudVlm.Cloud.csproj
    if [[ $rid != linux-x64 ]]; then
      echo "the cloud image is linux/amd64 only: Microsoft.ML.OnnxRuntime.Gpu.Linux has no $rid natives" >&2
      exit 2
    fi
    ;;
  edge) project=edge/EdgeCloudVlm.Edge/EdgeCloudVlm.Edge.csproj ;;
  *) echo "unknown service '$service' (cloud or edge)" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
exec dotnet publish "$project" -c Release -r "$rid" --self-contained false -p:DebugType=none -nologo -o "$output" "$@"
