#!/usr/bin/env bash
# Fetches the real OpenSSL 1.1.1w and OpenJDK 11 from Debian bullseye's packages (openssl, libssl1.1,
# openjdk-11-jre-headless: keytool and java, all the tests run of a JDK) and extracts them into
# .cache/bullseye (ignored by git), whatever Debian this machine runs. Nothing is installed: apt runs with a
# sources list, lists, cache and dpkg status of its own (no -o reads or writes the system's), and `apt-get
# download` + `dpkg-deb -x` only unpack files. Prints the two paths the tests use:
#   .cache/bullseye/bin/openssl   a wrapper that runs 1.1.1w with its own libssl1.1 and openssl.cnf
#   .cache/bullseye/jdk           JDK 11's home (bin/keytool, bin/java)
# Runs once: later calls reuse the cache until this script changes. A run builds beside the cache and
# swaps it in at the end, under a lock, so an interrupted or concurrent run leaves no half cache.
#
# Trust: the Release files are checked against the system's Debian archive keyring (signed-by: the keyring
# apt itself trusts, from the debian-archive-keyring package apt depends on; KAFKA_MTLS_DEBIAN_KEYRING names
# another), and against nothing else (Dir::Etc::trusted and trustedparts are emptied). bullseye's InRelease is
# signed by bookworm's archive key as well as bullseye's, and bullseye-security's by bookworm's security key as
# well as bullseye's, so a keyring that holds bookworm's keys needs no bullseye key. No [trusted=yes]: a Release
# file that fails the check fails the fetch (tried with a keyring of trixie's key only: NO_PUBKEY, exit 1).
# bullseye-security holds the newest builds (1.1.1w-0+deb11u8 and 11.0.32.1 in 2026-12; bullseye itself has
# 1.1.1w-0+deb11u1 and 11.0.24).
#
# Measured on the 2-core development machine (Debian 12, 2026-12): 3.9 s from nothing with the machine quiet,
# 12 to 18 s with it shared (load 15 to 20; 5 runs), for 8.6 MB of lists and 40.7 MB of packages (174 MB
# extracted); 0.01 s from the cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/bullseye"
keyring=${KAFKA_MTLS_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
packages=(openssl libssl1.1 openjdk-11-jre-headless)
want=$(sha256sum "$0" | cut -c1-16)

done_already() {
  [ -f "$cache/.stamp" ] && [ "$(cat "$cache/.stamp")" = "$want" ] && [ -x "$cache/bin/openssl" ] \
    && [ -x "$cache/jdk/bin/keytool" ]
}
print_paths() { printf '%s\n%s\n' "$cache/bin/openssl" "$cache/jdk"; }

if done_already; then
  print_paths
  exit 0
fi
for tool in apt-get dpkg-deb dpkg flock; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fetch-bullseye: $tool is needed (a Debian or Ubuntu machine)" >&2; exit 1; }
done
[ -r "$keyring" ] || {
  echo "fetch-bullseye: no Debian archive keyring at $keyring to check bullseye's Release files against" \
    "(apt-get install debian-archive-keyring, or set KAFKA_MTLS_DEBIAN_KEYRING)" >&2
  exit 1
}
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")

mkdir -p "$root/.cache"
exec 9>"$root/.cache/bullseye.lock"
flock 9
# Another run may have finished while this one waited for the lock.
if done_already; then
  print_paths
  exit 0
fi

# Under the lock no other run is building: a directory left by a killed one is stale.
rm -rf "$root/.cache"/bullseye.new-*
work=$(mktemp -d "$root/.cache/bullseye.new-XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
apt="$work/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/empty" "$work/debs" "$work/root"
: >"$apt/status"
cat >"$apt/sources.list" <<EOF
deb [signed-by=$keyring] http://deb.debian.org/debian bullseye main
deb [signed-by=$keyring] http://deb.debian.org/debian-security bullseye-security main
EOF
opts=(
  -o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=$apt/empty"
  -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "Dir::State::status=$apt/status"
  -o "Dir::Etc::preferences=/dev/null" -o "Dir::Etc::preferencesparts=$apt/empty"
  -o "Dir::Etc::trusted=/dev/null" -o "Dir::Etc::trustedparts=$apt/empty"
  -o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
  -o "Acquire::Languages=none" -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
  # The packages land in this run's own directory, which apt's _apt sandbox user cannot write.
  -o "APT::Sandbox::User=root"
)
# Only errors on stderr: apt's progress would bury the test output that follows.
apt-get -q "${opts[@]}" update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
if grep -q '^W: .*\(NO_PUBKEY\|not signed\|signature\)' "$work/update.log"; then
  cat "$work/update.log" >&2
  echo "fetch-bullseye: bullseye's Release files did not pass the signature check" >&2
  exit 1
fi
(cd "$work/debs" && apt-get -q "${opts[@]}" download "${packages[@]}" >"$work/download.log" 2>&1) \
  || { cat "$work/download.log" >&2; exit 1; }
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done

# The packages point into /etc (the JDK's conf/security/java.security, jvm.cfg, openssl.cnf), where an
# installed package puts them and this machine has none or other ones: each absolute link whose target the
# packages ship is made a relative link to the extracted file. Links to what no package here ships stay
# (lib/security/cacerts -> /etc/ssl/certs/java/cacerts: kafka-mtls makes its own truststores).
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  [ -f "$work/root$target" ] && ln -sfnr "$work/root$target" "$link"
done < <(find "$work/root/usr" -type l -lname '/*' -print0)

jdk_home=$(find "$work/root/usr/lib/jvm" -mindepth 1 -maxdepth 1 -type d -name 'java-11-openjdk-*' | head -1)
[ -n "$jdk_home" ] || { echo "fetch-bullseye: no JDK 11 in the extracted packages" >&2; exit 1; }
mkdir -p "$work/bin"
ln -sr "$jdk_home" "$work/jdk"
# As on a bullseye machine: the 1.1.1 binary with 1.1.1's libraries, and 1.1.1's own openssl.cnf (the
# system's OpenSSL 3 one may hold directives 1.1.1 refuses). An OPENSSL_CONF of the caller's is kept.
cat >"$work/bin/openssl" <<EOF
#!/bin/sh
# OpenSSL 1.1.1w from Debian bullseye, extracted by scripts/fetch-bullseye.sh.
here=\$(cd "\$(dirname "\$0")/.." && pwd)
LD_LIBRARY_PATH="\$here/root/usr/lib/$multiarch\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
OPENSSL_CONF="\${OPENSSL_CONF:-\$here/root/usr/lib/ssl/openssl.cnf}"
export LD_LIBRARY_PATH OPENSSL_CONF
exec "\$here/root/usr/bin/openssl" "\$@"
EOF
chmod 755 "$work/bin/openssl"

# What was fetched works here: the version, and a key pair made by each tool.
version=$("$work/bin/openssl" version)
case $version in
  'OpenSSL 1.1.1w '*) ;;
  *) echo "fetch-bullseye: the extracted openssl reports '$version', not OpenSSL 1.1.1w" >&2; exit 1 ;;
esac
"$work/bin/openssl" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out /dev/null 2>"$work/check.log" \
  || { cat "$work/check.log" >&2; exit 1; }
"$work/jdk/bin/keytool" -J-Duser.language=en -genkeypair -keyalg EC -alias check -dname CN=check \
  -keystore "$work/check.p12" -storetype PKCS12 -storepass check-only >"$work/check.log" 2>&1 \
  || { cat "$work/check.log" >&2; exit 1; }
jdk_version=$(sed -n 's/^JAVA_VERSION="\(.*\)"$/\1/p' "$jdk_home/release")
echo "fetch-bullseye: $version, OpenJDK $jdk_version ($(cd "$work/debs" && printf '%s ' *.deb))" >&2

rm -rf "$apt" "$work/debs" "$work"/*.log "$work/check.p12"
echo "$want" >"$work/.stamp"
# The swap: the old cache aside, the new one in, then the old one gone.
[ -e "$cache" ] && mv "$cache" "$work.old"
mv "$work" "$cache"
trap - EXIT
rm -rf "$work.old"
print_paths
