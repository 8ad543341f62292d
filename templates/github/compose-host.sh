case "$DOCKER_HOST" in
  ssh://*)
    if [ -z "$SSH_KEY" ] || [ -z "$SSH_KNOWN_HOSTS" ]; then
      echo "::error::set the secrets SLIPWAY_SSH_KEY (the deploy key) and SLIPWAY_SSH_KNOWN_HOSTS (the server's pinned host key, a known_hosts line) of environment $SLIPWAY_ENV to reach $DOCKER_HOST"
      exit 1
    fi
    dir="$RUNNER_TEMP/slipway-ssh"
    install -d -m 700 "$dir"
    printf '%s\n' "$SSH_KEY" > "$dir/key"
    chmod 600 "$dir/key"
    printf '%s\n' "$SSH_KNOWN_HOSTS" > "$dir/known_hosts"
    {
      echo "SLIPWAY_SSH_KEY=$dir/key"
      echo "SLIPWAY_SSH_KNOWN_HOSTS=$dir/known_hosts"
    } >> "$GITHUB_ENV"
    ;;
  "")
    echo "::error::set the variable SLIPWAY_DOCKER_HOST of environment $SLIPWAY_ENV to its compose host's Docker engine (ssh://user@server)"
    exit 1
    ;;
esac
