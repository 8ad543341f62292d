if [ -z "$DOCKER_HOST" ]; then
  echo "::error::set the repository variable SLIPWAY_DEMO_DOCKER_HOST to the demo host's Docker engine (ssh://user@server)"
  exit 1
fi
case "$DOCKER_HOST" in
  ssh://*)
    if [ -z "$SSH_KEY" ] || [ -z "$SSH_KNOWN_HOSTS" ]; then
      echo "::error::set the secret SLIPWAY_DEMO_SSH_KEY and the variable SLIPWAY_DEMO_SSH_KNOWN_HOSTS to reach $DOCKER_HOST"
      exit 1
    fi
    install -d -m 700 ~/.ssh
    printf '%s\n' "$SSH_KEY" > ~/.ssh/id_ed25519
    chmod 600 ~/.ssh/id_ed25519
    printf '%s\n' "$SSH_KNOWN_HOSTS" >> ~/.ssh/known_hosts
    ;;
esac
