# The minimal Vault policy of vault-registry-auth, for one service whose
# users live in the KV mount "registry". Repeat the first block for each
# service's mount. Load it with:
#
#   vault policy write vault-registry-auth config/vault-policy.hcl
#
# Nothing else is needed: the server never writes, never lists, and reads
# nothing outside its mounts.

# Read each user's secret. KV version 1 (Godoauth's layout):
path "registry/*" {
  capabilities = ["read"]
}
# For a KV version 2 mount, users are read under data/ instead:
# path "registry/data/*" {
#   capabilities = ["read"]
# }
# For users kept in a folder of a mount (services[].mount: secret/registry-users):
# path "secret/data/registry-users/*" {
#   capabilities = ["read"]
# }

# Signing keys kept in Vault (token.vault_path), read with the same token;
# the policy path is token.vault_path as written in the config:
# path "secret/data/registry-token" {
#   capabilities = ["read"]
# }

# Finding a mount's KV version (sys/internal/ui/mounts/<mount>, the endpoint
# Vault's own CLI uses) is allowed to any token with a capability on the
# mount: the block above is enough.

# The server's own token: look it up (is it valid, when does it expire) and
# renew it. Vault's built-in "default" policy grants both; these lines keep
# the server working with a token made with no_default_policy=true.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}

# Directory and CI logins (services[].logins) need nothing here: a login to
# an auth method takes no token, and the login's own token revokes itself.
# Only groups_from: identity_groups reads with the server's token:
# path "identity/entity/id/*" {
#   capabilities = ["read"]
# }
# path "identity/group/id/*" {
#   capabilities = ["read"]
# }
