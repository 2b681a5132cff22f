#!/usr/bin/env bash
# npm run test:openssl-1.1.1: the integration tests of every kind of openssl step (generate drop-in and
# confluent, your own CA, apply, rotate-ca, inspect), with test/fixtures/openssl-1.1.1/openssl first on
# PATH: an openssl that refuses every option OpenSSL 1.1.1 lacks. One jest process per file, so that no
# file's run depends on another's. Run `npm run build` first (the npm script does).
set -uo pipefail
cd "$(dirname "$0")/.."
export KAFKA_MTLS_TEST_OPENSSL_111=1 NODE_OPTIONS=--experimental-vm-modules
failed=()
for f in parity confluent byoca lifecycle rotate inspect; do
  npx jest --testTimeout=300000 "test/integration/$f.test.ts" || failed+=("$f")
done
[ ${#failed[@]} -eq 0 ] || { echo "test:openssl-1.1.1: failed: ${failed[*]}" >&2; exit 1; }
