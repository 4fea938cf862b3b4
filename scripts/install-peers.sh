#!/usr/bin/env bash
# Installs the real peers the tests run against, pinned, into a cache outside
# the repository. Idempotent: a peer whose binary is already cached at the
# pinned version is skipped, so later runs take seconds.
#
#   VRA_PEERS_DIR   where the binaries go (default: ~/.cache/vault-registry-auth/peers)
#   CI=true         a peer that cannot be installed is a failure (exit 1)
set -uo pipefail

# Pinned versions. OpenBao is the preferred Vault server; when the Go module
# proxy refuses its module (it answers 403 for every openbao/v2 version on
# some networks), HashiCorp Vault from its MPL-2.0 line (same HTTP API) is
# built from the proxy instead. Both need their go.mod `replace` directives
# dropped, because their sub-modules are published on their own; the build
# then uses the published sdk and api, which must match the server's code.
# Vault 1.13.1 does (sdk v0.8.1, api v1.9.0); 1.14.1-1.14.10 and 1.15.0 fail
# to compile or panic at start against every published sdk.
OPENBAO_VERSION=v2.6.2
OPENBAO_API_VERSION=v2.6.0
OPENBAO_SDK_VERSION=v2.6.0
VAULT_VERSION=v1.13.1
REGISTRY_VERSION=v3.1.2
# Registry 2.8 (the `registry:2` image's code) as a second registry peer,
# `registry2`: module github.com/docker/distribution, which has no go.mod
# (the proxy serves it as v2.8.3+incompatible) and whose vendor/ folder is not
# in the module zip. It is built from a copy with the go.mod below, every
# dependency pinned: the ones vendor.conf tags (reference, go-digest,
# image-spec) and libtrust (which computes the `kid` 2.8 looks up) at
# vendor.conf's versions; the others at versions the proxy serves (it answers
# 403 for vendor.conf's bare commit hashes) that still fit 2.8's code
# (logrus-logstash-hook v0.4.1, azure-sdk-for-go v16.2.1, lego v0.4.1 with
# miekg/dns v1.0.14 for rsc.io/letsencrypt v0.0.2). About 2 min to build.
REGISTRY2_VERSION=v2.8.3
CRANE_VERSION=v0.22.1
# Registry clients of the end-to-end tests, built from the proxy: oras 1.3.x
# (the proxy serves v1.3.4-v1.3.6 of the 1.3 line; about 1.5 min to build on
# a new machine) and Helm 3 (about 4.5-6 min: the Kubernetes modules). Helm
# 3.18 and later log in with the OAuth2 POST password grant first, then retry
# with GET when that fails.
ORAS_VERSION=v1.3.6
HELM_VERSION=v3.22.0
# containerd (with ctr) and docker.io (dockerd and its docker CLI) come from
# Debian's stable release (bookworm: containerd 1.6.20, docker.io 20.10.24),
# which only takes security fixes, so they are not pinned further: a pinned
# Debian version disappears from the mirror with the next fix.

PEERS_DIR=${VRA_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-registry-auth/peers}
BIN="$PEERS_DIR/bin"
STAMPS="$PEERS_DIR/stamps"
mkdir -p "$BIN" "$STAMPS"
failed=()

say() { printf '[install-peers] %s\n' "$*"; }

# installed NAME VERSION: true when NAME was installed at VERSION already.
installed() { [ -x "$BIN/$1" ] && [ "$(cat "$STAMPS/$1" 2>/dev/null)" = "$2" ]; }
stamp() { printf '%s' "$2" >"$STAMPS/$1"; }

have_go() {
  if command -v go >/dev/null 2>&1; then return 0; fi
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; return 0; fi
  return 1
}

# build_module_without_replaces MODULE VERSION OUTPUT SUBMODULE=VERSION...
# Downloads MODULE@VERSION, drops its replace directives, pins the published
# sub-module versions and builds the main package into OUTPUT.
build_module_without_replaces() {
  local module=$1 version=$2 output=$3; shift 3
  local work dir
  work=$(mktemp -d)
  dir=$(cd "$work" && go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    say "the Go module proxy did not serve $module@$version"
    rm -rf "$work"; return 1
  fi
  cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
  (
    cd "$work/src" || exit 1
    # Every replaced module path, from one-line and block forms alike.
    awk '/^replace \(/{b=1;next} b&&/^\)/{b=0}
         b{print ($2=="=>") ? $1 : $1"@"$2}
         /^replace [^(]/{print ($3=="=>") ? $2 : $2"@"$3}' go.mod | sort -u |
      while read -r old; do go mod edit -dropreplace="$old"; done
    for pin in "$@"; do go mod edit -require="$pin"; done
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -o "$output" .
  )
  local rc=$?
  rm -rf "$work"
  return $rc
}

install_vault_server() {
  if installed vault "$VAULT_VERSION" || installed bao "$OPENBAO_VERSION"; then
    say "Vault server cached"; return 0
  fi
  say "building OpenBao $OPENBAO_VERSION"
  if build_module_without_replaces github.com/openbao/openbao/v2 "$OPENBAO_VERSION" "$BIN/bao" \
      "github.com/openbao/openbao/api/v2@$OPENBAO_API_VERSION" \
      "github.com/openbao/openbao/sdk/v2@$OPENBAO_SDK_VERSION"; then
    stamp bao "$OPENBAO_VERSION"; return 0
  fi
  say "OpenBao unavailable; building HashiCorp Vault $VAULT_VERSION (MPL-2.0) instead"
  if build_module_without_replaces github.com/hashicorp/vault "$VAULT_VERSION" "$BIN/vault"; then
    stamp vault "$VAULT_VERSION"; return 0
  fi
  return 1
}

# The go.mod registry 2.8 is built with (see REGISTRY2_VERSION above).
registry2_go_mod() {
  cat <<'GOMOD'
module github.com/docker/distribution

go 1.21

require (
	github.com/Azure/azure-sdk-for-go v16.2.1+incompatible
	github.com/Azure/go-autorest/autorest v0.11.30
	github.com/Azure/go-autorest/autorest/adal v0.9.22
	github.com/Azure/go-autorest/autorest/date v0.3.0
	github.com/Azure/go-autorest/logger v0.2.1
	github.com/Azure/go-autorest/tracing v0.6.0
	github.com/Shopify/logrus-bugsnag v0.0.0-20171204204709-577dee27f20d
	github.com/aws/aws-sdk-go v1.55.8
	github.com/beorn7/perks v1.0.1
	github.com/bshuster-repo/logrus-logstash-hook v0.4.1
	github.com/bugsnag/bugsnag-go v1.5.0
	github.com/bugsnag/panicwrap v1.2.0
	github.com/cespare/xxhash/v2 v2.3.0
	github.com/distribution/reference v0.5.0
	github.com/docker/go-metrics v0.1.0
	github.com/docker/libtrust v0.0.0-20150114040149-fa567046d9b1
	github.com/felixge/httpsnoop v1.0.3
	github.com/garyburd/redigo v0.0.0-20150301180006-535138d7bcd7
	github.com/gofrs/uuid v4.4.0+incompatible
	github.com/golang-jwt/jwt/v4 v4.5.0
	github.com/gorilla/handlers v1.5.2
	github.com/gorilla/mux v1.8.1
	github.com/jmespath/go-jmespath v0.4.0
	github.com/kardianos/osext v0.0.0-20190222173326-2bc1f35cddc0
	github.com/klauspost/compress v1.17.9
	github.com/marstr/guid v1.1.0
	github.com/miekg/dns v1.0.14
	github.com/mitchellh/mapstructure v1.5.0
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822
	github.com/ncw/swift v1.0.53
	github.com/opencontainers/go-digest v1.0.0
	github.com/opencontainers/image-spec v1.0.2
	github.com/prometheus/client_golang v1.20.5
	github.com/prometheus/client_model v0.6.1
	github.com/prometheus/common v0.55.0
	github.com/prometheus/procfs v0.15.1
	github.com/satori/go.uuid v1.2.0
	github.com/sirupsen/logrus v1.9.3
	github.com/spf13/cobra v1.8.1
	github.com/spf13/pflag v1.0.5
	github.com/xenolf/lego v0.4.1
	github.com/yvasiyarov/go-metrics v0.0.0-20140926110328-57bccd1ccd43
	github.com/yvasiyarov/gorelic v0.0.0-20141212073537-a9bba5b9ab50
	github.com/yvasiyarov/newrelic_platform_go v0.0.0-20140908184405-b21fdbd4370f
	golang.org/x/crypto v0.31.0
	golang.org/x/net v0.33.0
	golang.org/x/sys v0.28.0
	golang.org/x/time v0.8.0
	google.golang.org/protobuf v1.34.2
	gopkg.in/square/go-jose.v1 v1.1.2
	gopkg.in/yaml.v2 v2.4.0
	rsc.io/letsencrypt v0.0.2
)
GOMOD
}

# install_registry2: registry 2.8 from the proxy's module zip and the go.mod
# above, into $BIN/registry2, its version stamped into the binary as well.
install_registry2() {
  local module=github.com/docker/distribution version=$REGISTRY2_VERSION work json dir rc
  if installed registry2 "$version"; then say "registry2 cached"; return 0; fi
  say "building registry2 (distribution registry $version)"
  work=$(mktemp -d)
  json=$(cd "$work" && go mod download -json "$module@$version+incompatible" 2>&1)
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    say "the Go module proxy did not serve $module@$version+incompatible: $(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')"
    rm -rf "$work"; return 1
  fi
  cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
  (
    cd "$work/src" || exit 1
    registry2_go_mod >go.mod
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
      -ldflags "-X $module/version.Version=$version -X $module/version.Package=$module" \
      -o "$BIN/registry2" ./cmd/registry
  )
  rc=$?
  rm -rf "$work"
  [ $rc -eq 0 ] && stamp registry2 "$version"
}

install_go_tool() { # NAME PACKAGE VERSION
  local name=$1 pkg=$2 version=$3
  if installed "$name" "$version"; then say "$name cached"; return 0; fi
  say "installing $name $version"
  GOBIN="$BIN" CGO_ENABLED=0 go install "$pkg@$version" && stamp "$name" "$version"
}

# install_debian PACKAGE COMMAND...: Debian's PACKAGE, unless every COMMAND
# (a name looked up on PATH, or an absolute path) is present already.
apt_updated=
install_debian() {
  local package=$1 command missing=(); shift
  for command in "$@"; do command -v "$command" >/dev/null 2>&1 || missing+=("$command"); done
  if [ ${#missing[@]} -eq 0 ]; then say "$* present"; return 0; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    say "${missing[*]}: install it with your package manager (Debian: apt-get install $package)"; return 1
  fi
  say "installing $package from Debian"
  if [ -z "$apt_updated" ]; then apt-get update -qq >/dev/null && apt_updated=1; fi
  # A daemon package (containerd, docker.io) starts its service on install
  # unless policy-rc.d says no; the tests start daemons of their own only.
  local policy=/usr/sbin/policy-rc.d added_policy= rc
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  rc=$?
  if [ -n "$added_policy" ]; then rm -f "$policy"; fi
  [ $rc -eq 0 ] || return $rc
  for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || { say "$package did not bring $command"; return 1; }
  done
  say "$package $(dpkg-query -W -f='${Version}' "$package" 2>/dev/null) installed"
}

if have_go; then
  install_vault_server || failed+=(vault-server)
  install_go_tool registry github.com/distribution/distribution/v3/cmd/registry "$REGISTRY_VERSION" || failed+=(registry)
  install_registry2 || failed+=(registry2)
  install_go_tool crane github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION" || failed+=(crane)
  install_go_tool oras oras.land/oras/cmd/oras "$ORAS_VERSION" || failed+=(oras)
  install_go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" || failed+=(helm)
else
  say "Go is not installed: the Vault server, registry, registry2, crane, oras and helm cannot be built (https://go.dev/dl)"
  failed+=(vault-server registry registry2 crane oras helm)
fi
install_debian skopeo skopeo || failed+=(skopeo)
# htpasswd (apache2-utils) writes the $2y$ bcrypt hashes operators bring along.
install_debian apache2-utils htpasswd || failed+=(htpasswd)
# redis-server: the shared store of the throttle's counters across replicas (throttle.redis.url).
install_debian redis-server redis-server || failed+=(redis-server)
# slapd (OpenLDAP) and ldap-utils (ldapmodify, ldapsearch): the directory behind
# Vault's ldap auth method in the directory-login tests. Installed without
# prompts: noninteractive debconf gives slapd a default configuration (domain
# from the host name, a generated admin password), and install_debian's
# policy-rc.d keeps that system slapd stopped. Where a policy lets it start, it
# listens on port 389 with /etc/ldap/slapd.d, neither of which the tests use:
# they start their own slapd with its own -f config on a free port.
install_debian slapd /usr/sbin/slapd || failed+=(slapd)
install_debian ldap-utils ldapmodify ldapsearch || failed+=(ldap-utils)
install_debian containerd containerd ctr || failed+=(containerd)
# dockerd, and Debian's docker CLI of the same version (a `docker` alone, a
# newer CLI in /usr/local/bin on some machines, is not enough).
install_debian docker.io dockerd /usr/bin/docker || failed+=(docker.io)

if [ ${#failed[@]} -gt 0 ]; then
  say "missing peers: ${failed[*]}"
  if [ "${CI:-}" = true ]; then exit 1; fi
  say "the tests that need them will be skipped"
  exit 0
fi
say "all peers in $BIN"
