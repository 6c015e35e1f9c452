#!/usr/bin/env bash
# Provisions JettyThunder's enterprise API key on a running AgentCache server (seed 000).
#
#   AGENTCACHE_ADMIN_TOKEN=... ./scripts/provision-jettythunder.sh [production|staging|development]
#
# Server: AGENTCACHE_SERVER (default http://127.0.0.1:8080). Needs curl. Prints the server's
# JSON answer, then the environment variables to set in JettyThunder's deployment. The key is
# shown once: the server keeps only its SHA-256.
set -euo pipefail

environment="${1:-production}"
case "$environment" in
  production|staging|development) ;;
  *) echo "provision-jettythunder.sh: environment must be production, staging or development, got '$environment'" >&2; exit 2 ;;
esac
server="${AGENTCACHE_SERVER:-http://127.0.0.1:8080}"
server="${server%/}"
if [[ -z "${AGENTCACHE_ADMIN_TOKEN:-}" ]]; then
  echo "provision-jettythunder.sh: set AGENTCACHE_ADMIN_TOKEN to the server's --admin-token" >&2
  exit 2
fi

answer="$(curl -sS -X POST "$server/api/provision/jettythunder" \
  -H "Authorization: Bearer $AGENTCACHE_ADMIN_TOKEN" \
  -H "Content-Type: application/json" \
  -d "{\"environment\": \"$environment\"}" \
  -w $'\n%{http_code}')" || { echo "provision-jettythunder.sh: could not reach $server" >&2; exit 1; }
status="${answer##*$'\n'}"
body="${answer%$'\n'*}"
if [[ "$status" != 2* ]]; then
  echo "provision-jettythunder.sh: server answered $status: $body" >&2
  exit 1
fi
echo "$body"
api_key="$(printf '%s' "$body" | sed -n 's/.*"api_key":"\([^"]*\)".*/\1/p')"
namespace="$(printf '%s' "$body" | sed -n 's/.*"namespace":"\([^"]*\)".*/\1/p')"
cat <<MSG

JettyThunder key for $environment (tenant namespace: $namespace). It is shown only once.
Add these to JettyThunder's environment (e.g. vercel env add ... $environment):

  AGENTCACHE_API_KEY=$api_key
  AGENTCACHE_API_URL=$server
MSG
