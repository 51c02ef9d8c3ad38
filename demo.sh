#!/usr/bin/env bash
# One-command demo: builds the cloud service and the edge agent (Release), starts the cloud on loopback with keys made
# for this run, asks the edge agent questions about the demo model's evaluation images, and prints each answer with
# whether it is right, the bytes on the wire against the JPEG and the fp16 split tensor, and the latency. Both
# processes are stopped on exit, whatever the exit.
#
#   ./demo.sh                 # needs only the .NET 10 SDK
#   DEMO_ITEMS=20 ./demo.sh   # more questions
#
# Environment: DEMO_REST_PORT / DEMO_GRPC_PORT (5380 / 5381, so a developer's cloud on 5080/5081 is left alone),
# DEMO_ITEMS (10), DEMO_ARTIFACTS (build output, .artifacts/demo).
set -euo pipefail
cd "$(dirname "$0")"
root="$PWD"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rest_port="${DEMO_REST_PORT:-5380}"
grpc_port="${DEMO_GRPC_PORT:-5381}"
items="${DEMO_ITEMS:-10}"
artifacts="${DEMO_ARTIFACTS:-$root/.artifacts/demo}"
model="$root/models/shapes-vqa"
eval_file="$model/eval/eval.jsonl"
started=$SECONDS

if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK (dotnet) is required." >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ecv-demo.XXXXXX")"
cloud_pid=""

stop_all() {
  local status=$?
  if [[ -n "$cloud_pid" ]] && kill -0 "$cloud_pid" 2>/dev/null; then
    kill -TERM "$cloud_pid" 2>/dev/null || true
    # The cloud drains in-flight requests on SIGTERM; it has nothing in flight here, so a few seconds is plenty.
    for _ in $(seq 50); do kill -0 "$cloud_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$cloud_pid" 2>/dev/null || true
    wait "$cloud_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build ------------------------------------------------------------------------------------------------------------
echo "Building the cloud service and the edge agent (Release, into ${artifacts#"$root"/})..."
for project in cloud/EdgeCloudVlm.Cloud edge/EdgeCloudVlm.Edge; do
  if ! dotnet build "$project" -c Release --artifacts-path "$artifacts" -nologo -v quiet -clp:ErrorsOnly >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "Build of $project failed." >&2
    exit 1
  fi
done
cloud_dir="$artifacts/bin/EdgeCloudVlm.Cloud/release"
edge_dll="$artifacts/bin/EdgeCloudVlm.Edge/release/ecv-edge.dll"
echo "Built in $((SECONDS - started)) s."

# --- keys for this run only: the cloud is given their SHA-256, the edge the key itself ------------------------------
edge_key="ecv-demo-edge-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
edge_key_sha256="$(printf %s "$edge_key" | sha256sum | cut -d' ' -f1)"

# --- cloud ------------------------------------------------------------------------------------------------------------
for port in "$rest_port" "$grpc_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port on 127.0.0.1 is already in use; pick free ones with DEMO_REST_PORT and DEMO_GRPC_PORT." >&2
    exit 1
  fi
done

echo "Starting the cloud on 127.0.0.1:$rest_port (REST) and 127.0.0.1:$grpc_port (gRPC)..."
(
  cd "$cloud_dir"
  export ASPNETCORE_ENVIRONMENT=Production \
    Kestrel__Endpoints__Rest__Url="http://127.0.0.1:$rest_port" \
    Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc_port" \
    Models__Folders__0="$model" \
    Auth__ApiKeys__0__Name=demo-edge Auth__ApiKeys__0__Role=edge Auth__ApiKeys__0__Sha256="$edge_key_sha256" \
    Logging__LogLevel__Default=Warning
  exec dotnet EdgeCloudVlm.Cloud.dll
) >"$work/cloud.log" 2>&1 &
cloud_pid=$!

# Plain bash, so the demo needs no curl: one HTTP/1.1 request to /health/ready, true on 200.
ready() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$rest_port" || exit 1
    printf 'GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    IFS= read -r -t 5 status_line <&3 || exit 1
    [[ "$status_line" == "HTTP/1.1 200"* ]]
  ) 2>/dev/null
}

ready_wait=$SECONDS
until ready; do
  if ! kill -0 "$cloud_pid" 2>/dev/null; then
    echo "The cloud stopped before it was ready; its log:" >&2
    tail -n 40 "$work/cloud.log" >&2
    exit 1
  fi
  if ((SECONDS - ready_wait > 120)); then
    echo "The cloud was not ready within 120 s; its log:" >&2
    tail -n 40 "$work/cloud.log" >&2
    exit 1
  fi
  sleep 0.25
done
echo "Cloud ready in $((SECONDS - ready_wait)) s."

# --- questions: round-robin over the task's templates, so every kind of question shows up --------------------------
json_string() { [[ "$1" =~ \"$2\":\ *\"(([^\"\\]|\\.)*)\" ]] && printf '%s' "${BASH_REMATCH[1]}"; }
json_number() { [[ "$1" =~ \"$2\":\ *(-?[0-9.eE+-]+) ]] && printf '%s' "${BASH_REMATCH[1]}"; }

mapfile -t lines <"$eval_file"
declare -A taken=()
picked=()
used=()
for ((round = 1; ${#picked[@]} < items; round++)); do
  before=${#picked[@]}
  for i in "${!lines[@]}"; do
    ((${#picked[@]} < items)) || break
    [[ -z "${used[$i]:-}" ]] || continue
    template="$(json_string "${lines[$i]}" template)" || continue
    if ((${taken[$template]:-0} < round)); then
      taken[$template]=$((${taken[$template]:-0} + 1))
      used[$i]=1
      picked+=("${lines[$i]}")
    fi
  done
  ((${#picked[@]} > before)) || break
done

# --- ask --------------------------------------------------------------------------------------------------------------
export Edge__Uplink__Address="http://127.0.0.1:$grpc_port" Edge__Uplink__ApiKey="$edge_key" \
  Edge__ModelFolder="$model" Edge__DataDirectory="$work/edge" Edge__DeviceId=demo-edge

echo
right=0 n=0 sum_wire=0 sum_jpeg=0 sum_fp16=0 sum_ms=0
for line in "${picked[@]}"; do
  image="$(json_string "$line" image)"
  question="$(json_string "$line" question)"
  expected="$(json_string "$line" answer)"
  n=$((n + 1))
  code=0
  output="$(dotnet "$edge_dll" ask "$model/$image" "$question" --json 2>"$work/edge.err")" || code=$?
  if ((code != 0)); then
    echo "The edge agent failed on $image (exit $code):" >&2
    cat "$work/edge.err" >&2
    [[ -n "$output" ]] && echo "$output" >&2
    exit 1
  fi
  answer="$(json_string "$output" answer)" || answer=""
  payload="$(json_string "$output" payload)"
  wire="$(json_number "$output" bytes_on_wire)"
  jpeg="$(json_number "$output" jpeg_bytes)" || jpeg=0
  fp16="$(json_number "$output" fp16_equivalent_bytes)"
  ms="$(json_number "$output" latency_ms)"
  ok=wrong
  if [[ "${answer,,}" == "${expected,,}" ]]; then ok=right; right=$((right + 1)); fi
  sum_wire=$((sum_wire + wire)) sum_jpeg=$((sum_jpeg + jpeg)) sum_fp16=$((sum_fp16 + fp16))
  sum_ms="$(awk -v a="$sum_ms" -v b="$ms" 'BEGIN { print a + b }')"
  kind="AlignedVQ frame"
  [[ "$payload" == codec ]] || kind="JPEG fallback"
  awk -v n="$n" -v img="$image" -v q="$question" -v a="$answer" -v e="$expected" -v ok="$ok" -v k="$kind" \
    -v w="$wire" -v j="$jpeg" -v f="$fp16" -v ms="$ms" 'BEGIN {
    printf "%2d. %s  (%s)\n", n, q, img
    printf "    answer: %s   expected: %s   %s\n", a, e, ok
    printf "    on the wire: %d B (%s) | JPEG q90: %d B, %.1fx more | fp16 features: %d B, %.1fx more | latency: %.1f ms\n", w, k, j, j / w, f, f / w, ms }'
done

echo
awk -v r="$right" -v n="$n" -v w="$sum_wire" -v j="$sum_jpeg" -v f="$sum_fp16" -v ms="$sum_ms" 'BEGIN {
  printf "%d of %d right; mean %.0f bytes on the wire per frame (JPEG q90 %.0f, %.1fx more; fp16 features %.0f, %.1fx more); mean latency %.1f ms\n",
    r, n, w / n, j / n, j / w, f / n, f / w, ms / n }'
echo "(latency: one 'ecv-edge ask' each, from the image in hand to the answer: decode, vision head, AlignedVQ encode,"
echo " connecting to the cloud, then the cloud's frame decode, vision tail and generation)"
echo "Done in $((SECONDS - started)) s."
