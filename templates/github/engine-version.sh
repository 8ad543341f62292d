# The slipway the definitions' Cargo.lock pins is the engine this job runs: the same version, built once
# per version and kept in the cache. The key names it: a git revision, a crates.io version, or (a path
# dependency, as in slipway's own repository) the hash of the engine's sources.
package=$(cargo metadata --format-version 1 --locked | jq -c '[.packages[] | select(.name == "slipway")][0]')
if [ "$package" = "null" ]; then
  echo "::error::the definitions do not depend on slipway (no package \`slipway\` in cargo metadata)"
  exit 1
fi
source=$(jq -r '.source // "path"' <<<"$package")
case "$source" in
  git+*)
    url=${source#git+}
    rev=${url##*#}
    url=${url%%#*}
    url=${url%%\?*}
    printf 'install=--git %s --rev %s slipway\n' "$url" "$rev" >>"$GITHUB_OUTPUT"
    key="git-$rev"
    ;;
  registry+*)
    version=$(jq -r .version <<<"$package")
    printf 'install=slipway --version =%s\n' "$version" >>"$GITHUB_OUTPUT"
    key="crates-$version"
    ;;
  *)
    dir=$(dirname "$(jq -r .manifest_path <<<"$package")")
    printf 'install=--path %s\n' "$dir" >>"$GITHUB_OUTPUT"
    key="path-$(git -C "$dir" ls-files -s Cargo.lock Cargo.toml src templates | sha256sum | cut -c1-16)"
    ;;
esac
printf 'key=%s\n' "$key" >>"$GITHUB_OUTPUT"
echo "slipway engine: $source ($key)"
