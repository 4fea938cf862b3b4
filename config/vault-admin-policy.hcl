# A Vault policy for the people (or CI jobs) who manage users and groups with
# `vault-registry-auth user …` and `group …`. The server itself only needs
# config/vault-policy.hcl, which only reads.
#
#   vault policy write vault-registry-auth-admin config/vault-admin-policy.hcl

# KV version 1 mount "registry":
path "registry/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# KV version 2 mount "registry2": users and groups are written under data/,
# listed and removed for good under metadata/.
path "registry2/data/*" {
  capabilities = ["create", "read", "update"]
}
path "registry2/metadata/*" {
  capabilities = ["read", "list", "delete"]
}
