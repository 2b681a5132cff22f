#!/usr/bin/env bash
# npm run test:openssl-1.1.1: the integration tests of every kind of openssl step (generate drop-in and
# confluent, your own CA, apply, the three rotate-ca phases, verify, inspect, probe, the --dry-run script, every
# --key-type with EC keys)
# with the real OpenSSL 1.1.1w first on PATH: Debian bullseye's, fetched into .cache/bullseye by
# scripts/fetch-bullseye.sh. Where it cannot be fetched, the suite runs through test/fixtures/openssl-1.1.1/
# openssl instead (an openssl that refuses every option 1.1.1 lacks) and says so; under CI (CI=true) a
# failed fetch fails. One jest process per file, so that no file's run depends on another's. Run
# `npm run build` first (the npm script does).
#
# Measured on the 2-core development machine (Debian 12, 2026-12): the nine files in 5 min 14 s with the machine
# quiet (load 1 to 2; 4 min 25 s of user CPU), 10 min 11 s with it shared (load 15 to 18). The three files added
# with the real 1.1.1 (verify, probe, dry-run) took 3 min 11 s of the first. The fetch: see fetch-bullseye.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
if paths=$(bash scripts/fetch-bullseye.sh); then
  dir=$(dirname "$(head -1 <<<"$paths")")
  echo "test:openssl-1.1.1: through $("$dir/openssl" version) ($dir/openssl)"
elif [ "${CI:-}" = true ]; then
  echo "test:openssl-1.1.1: the real OpenSSL 1.1.1w could not be fetched from Debian bullseye (see above)" >&2
  exit 1
else
  dir=$PWD/test/fixtures/openssl-1.1.1
  echo "test:openssl-1.1.1: the real OpenSSL 1.1.1w could not be fetched (see above): running through the stand-in $dir/openssl" >&2
fi
export KAFKA_MTLS_TEST_OPENSSL_111_BIN=$dir NODE_OPTIONS=--experimental-vm-modules
failed=()
for f in parity confluent byoca lifecycle rotate verify inspect probe dry-run ecdsa; do
  npx jest --testTimeout=300000 "test/integration/$f.test.ts" || failed+=("$f")
done
[ ${#failed[@]} -eq 0 ] || { echo "test:openssl-1.1.1: failed: ${failed[*]}" >&2; exit 1; }
