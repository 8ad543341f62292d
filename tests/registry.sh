# shellcheck shell=bash
# The image registry the test suite pushes image assets to. Sourced by tests/run.sh, which calls
# `registry_harness_up` after the Docker engine is up and `registry_harness_down` on exit (a trap).
#
# A real registry, never a stand-in: Debian's `docker-registry` (the CNCF distribution registry, 2.8),
# serving the registry HTTP API v2 on a free loopback port, with filesystem storage under a temporary
# directory of its own, no authentication, and removed with that directory when the run ends. The
# private engine (tests/docker.sh) pushes to and pulls from it over plain HTTP: dockerd treats registries
# on 127.0.0.0/8 as insecure-allowed without any flag (`docker info` lists 127.0.0.0/8 under "Insecure
# Registries"), which registry_harness_up checks rather than assumes.
#
# What the tests get (exported): SLIPWAY_TEST_REGISTRY=127.0.0.1:PORT.

registry_fail() {
  echo "tests/registry.sh: $*" >&2
  exit 1
}

registry_find() {
  command -v docker-registry 2> /dev/null || { [[ -x /usr/bin/docker-registry ]] && echo /usr/bin/docker-registry; } || true
}

# A TCP port nobody listens on at 127.0.0.1 (the kernel picks it).
registry_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The HTTP status of GET http://$SLIPWAY_TEST_REGISTRY$1, or 000 when nothing answers.
registry_status() {
  python3 - "http://$SLIPWAY_TEST_REGISTRY$1" << 'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
}

registry_harness_up() {
  local started=$SECONDS
  REGISTRY_BIN=$(registry_find)
  if [[ -z "$REGISTRY_BIN" ]]; then
    docker_apt_install docker-registry
    REGISTRY_BIN=$(registry_find)
  fi
  [[ -n "$REGISTRY_BIN" ]] ||
    registry_fail "no docker-registry after installing it; as root, run: apt-get install -y --no-install-recommends docker-registry"
  REGISTRY_TMP=$(mktemp -d "${TMPDIR:-/tmp}/slipway-registry.XXXXXX")
  local port
  port=$(registry_free_port)
  export SLIPWAY_TEST_REGISTRY="127.0.0.1:$port"
  cat > "$REGISTRY_TMP/config.yml" << CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_TMP/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CONFIG
  echo "==> starting docker-registry on $SLIPWAY_TEST_REGISTRY (storage in $REGISTRY_TMP/data)"
  "$REGISTRY_BIN" serve "$REGISTRY_TMP/config.yml" >> "$REGISTRY_TMP/registry.log" 2>&1 &
  REGISTRY_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    [[ "$(registry_status /v2/)" == 200 ]] && break
    kill -0 "$REGISTRY_PID" 2> /dev/null || break
    sleep 0.1
  done
  if [[ "$(registry_status /v2/)" != 200 ]]; then
    tail -n 15 "$REGISTRY_TMP/registry.log" >&2
    registry_fail "docker-registry did not answer on http://$SLIPWAY_TEST_REGISTRY/v2/ (log above)"
  fi
  # The private engine must push over plain HTTP to a loopback registry without being told to.
  "$DOCKER_CLI" info --format '{{json .RegistryConfig.InsecureRegistryCIDRs}}' | grep -q '127.0.0.0/8' ||
    registry_fail "the private dockerd does not treat 127.0.0.0/8 as an insecure registry; it could not push to $SLIPWAY_TEST_REGISTRY"
  echo "    (registry answered after $((SECONDS - started)) s: $("$REGISTRY_BIN" --version 2> /dev/null | head -n 1))"
}

# Stops the registry this run started and deletes its storage.
registry_harness_down() {
  if [[ -n "${REGISTRY_PID:-}" ]]; then
    kill -TERM "$REGISTRY_PID" 2> /dev/null || true
    wait "$REGISTRY_PID" 2> /dev/null || true
    REGISTRY_PID=
  fi
  [[ -n "${REGISTRY_TMP:-}" ]] && rm -rf "$REGISTRY_TMP"
  REGISTRY_TMP=
}
