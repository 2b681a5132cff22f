#!/usr/bin/env node
// Re-captures test/fixtures/outputs/: the real openssl and keytool messages
// that src/runner/hints.ts matches. Run it after a JDK or openssl upgrade, then
// `npm test`: a hint whose message changed fails its test.
//   node scripts/capture-outputs.mjs
import { $, cd, fs, os, path } from 'zx';

const out = path.resolve(import.meta.dirname, '../test/fixtures/outputs');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kmtls-capture-'));
cd(dir);
$.verbose = false;
$.quiet = true;
$.env = { ...process.env, LC_ALL: 'C', P: 'password', W: 'wrongpass' };
const KT = ['-J-Duser.language=en', '-J-Duser.country=US'];

/** Runs a command expected to fail and saves what it printed (both streams). */
async function capture(id, cmd) {
  const r = typeof cmd.nothrow === 'function' ? await cmd.nothrow() : await cmd;
  if (r.exitCode === 0) throw new Error(`${id}: expected a failure`);
  // openssl's key-generation progress (lines of . + * -) is random noise: leave it out, so captures diff cleanly.
  const text = (r.stdout + r.stderr)
    .split('\n')
    .filter((l) => !/^[.+*-]+$/.test(l))
    .join('\n');
  await fs.writeFile(path.join(out, `${id}.txt`), text);
  console.log(`${id}: exit ${r.exitCode}`);
}

// A CA, a signed leaf in a PKCS12 keystore, and a JKS store to break things with.
await $`openssl req -new -x509 -newkey rsa:2048 -noenc -keyout ca.key -out ca.crt -days 2 -subj /CN=capture-ca`;
await $`keytool ${KT} -genkeypair -keystore ks.p12 -storepass:env P -alias leaf -dname CN=leaf -keyalg RSA`;
await $`keytool ${KT} -certreq -keystore ks.p12 -storepass:env P -alias leaf -file leaf.csr`;
await $`openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -out leaf.crt -days 1`;
await $`keytool ${KT} -genkeypair -keystore ks.jks -storetype JKS -storepass:env P -keypass:env P -alias a -dname CN=a -keyalg RSA`;
await $`openssl req -new -x509 -newkey rsa:2048 -noenc -keyout other.key -out other.crt -days 2 -subj /CN=other-ca`;
await fs.writeFile('bad.key', 'garbage\n');

await capture('keytool-wrong-password-pkcs12', $`keytool ${KT} -list -keystore ks.p12 -storepass:env W`);
await capture('keytool-wrong-password-jks', $`keytool ${KT} -list -keystore ks.jks -storetype JKS -storepass:env W`);
await capture('openssl-mac-verify', $`openssl pkcs12 -in ks.p12 -passin env:W -nokeys`);
await capture(
  'keytool-chain-not-established',
  $`keytool ${KT} -importcert -noprompt -keystore ks.p12 -storepass:env P -alias leaf -file leaf.crt`,
);
await $`keytool ${KT} -importcert -noprompt -keystore ks.p12 -storepass:env P -alias ca.crt -file ca.crt`;
await capture(
  'keytool-alias-exists',
  $`keytool ${KT} -importcert -noprompt -keystore ks.p12 -storepass:env P -alias ca.crt -file ca.crt`,
);
await capture(
  'keytool-not-x509',
  $`keytool ${KT} -importcert -noprompt -keystore ks.p12 -storepass:env P -alias x -file leaf.csr`,
);
await capture('openssl-private-key', $`openssl x509 -req -in leaf.csr -CA ca.crt -CAkey bad.key -out never.crt`);
await capture('openssl-local-issuer', $`openssl verify -CAfile other.crt leaf.crt`);
await capture(
  'keytool-missing-env',
  $`keytool ${KT} -list -keystore ks.p12 -storepass:env NOT_SET_ANYWHERE < /dev/null`,
);

// An expired CA and a CA not yet valid, made with `openssl ca -selfsign`, which takes explicit dates.
await fs.writeFile(
  'ca.cnf',
  [
    '[ca]',
    'default_ca = d',
    '[d]',
    'database = index.txt',
    'serial = serial.txt',
    'new_certs_dir = .',
    'default_md = sha256',
    'policy = p',
    'unique_subject = no',
    '[p]',
    'commonName = supplied',
    '[v3_ca]',
    'basicConstraints = critical, CA:TRUE',
    'keyUsage = critical, keyCertSign, cRLSign',
    '',
  ].join('\n'),
);
await fs.writeFile('index.txt', '');
await fs.writeFile('serial.txt', '1000\n');
await $`openssl req -new -newkey rsa:2048 -noenc -keyout dated.key -out dated.csr -subj /CN=dated-ca`;
await $`openssl ca -batch -selfsign -config ca.cnf -keyfile dated.key -in dated.csr -out expired-ca.pem -startdate 20200101000000Z -enddate 20200201000000Z -extensions v3_ca -notext`;
await $`openssl ca -batch -selfsign -config ca.cnf -keyfile dated.key -in dated.csr -out future-ca.pem -startdate 20990101000000Z -enddate 20990201000000Z -extensions v3_ca -notext`;
await $`openssl req -new -newkey rsa:2048 -noenc -keyout dl.key -out dl.csr -subj /CN=dated-leaf`;
await $`openssl x509 -req -in dl.csr -CA expired-ca.pem -CAkey dated.key -out dated-leaf.pem -days 1`;
await capture('openssl-ca-expired', $`openssl verify -CAfile expired-ca.pem dated-leaf.pem`);
await capture('openssl-not-yet-valid', $`openssl verify -CAfile future-ca.pem dated-leaf.pem`);

// Output that cannot be written: a path under a regular file (root ignores permissions, so not a read-only directory).
await fs.writeFile('a-file', '');
await capture(
  'openssl-cannot-write',
  $`openssl req -new -newkey rsa:2048 -noenc -keyout a-file/k.pem -out a-file/r.csr -subj /CN=x`,
);
await capture(
  'keytool-cannot-write',
  $`keytool ${KT} -importcert -noprompt -alias a -file ca.crt -keystore a-file/t.p12 -storepass:env P`,
);

// PKCS12 algorithms this keytool cannot read: the messages an older JDK (before 8u301 or 11.0.12) gives
// for the AES/PBES2 encryption and SHA-256 MAC that current keytools and openssl 3 write.
await capture(
  'keytool-pkcs12-cipher-unsupported',
  (async () => {
    await $`openssl pkcs12 -export -in dated-leaf.pem -inkey dl.key -name x -out camellia.p12 -passout env:P -keypbe CAMELLIA-256-CBC -certpbe CAMELLIA-256-CBC`;
    return $`keytool ${KT} -list -keystore camellia.p12 -storepass:env P`.nothrow();
  })(),
);
await capture(
  'keytool-pkcs12-mac-unsupported',
  (async () => {
    await $`openssl pkcs12 -export -in dated-leaf.pem -inkey dl.key -name x -out sha3mac.p12 -passout env:P -macalg sha3-256`;
    return $`keytool ${KT} -list -keystore sha3mac.p12 -storepass:env P`.nothrow();
  })(),
);

await fs.remove(dir);
