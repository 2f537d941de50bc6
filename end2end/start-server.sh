#!/usr/bin/env bash
# Starts MAYI ID for the browser tests: a fresh database (SQLite in a temporary directory, or
# with E2E_DATABASE=postgres a PostgreSQL database of its own, dropped afterwards) and key, the
# test accounts from fixtures.ts, on 127.0.0.1:$E2E_PORT; and the example application that signs
# in through it (server/examples/oidc_client.rs) on 127.0.0.1:$E2E_RP_PORT.
# E2E_SEED=oidc creates only what tests/oidc.spec.ts needs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${MAYI_BIN:-$here/../target/debug/mayi-id}"
rp_bin="${MAYI_RP_BIN:-$here/../target/debug/examples/oidc_client}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/mayi-e2e.XXXXXX")"

pg_admin="${MAYI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_db=""
if [ "${E2E_DATABASE:-sqlite}" = postgres ]; then
  # Databases of earlier runs whose script is gone (a killed run cannot drop its own).
  for old in $(psql "$pg_admin" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'mayi_e2e_%'"); do
    pid="${old#mayi_e2e_}"; pid="${pid%%_*}"
    if ! kill -0 "$pid" 2>/dev/null; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $old WITH (FORCE)" || true; fi
  done
  pg_db="mayi_e2e_$$_$(date +%s)"
  psql "$pg_admin" -qc "CREATE DATABASE $pg_db"
  export MAYI_DATABASE_URL="${pg_admin%/*}/$pg_db"
else
  export MAYI_DATABASE_URL="sqlite://$dir/e2e.db"
fi
export MAYI_SEED_KEY_FILE="$dir/seed.key"
export MAYI_LISTEN="127.0.0.1:${E2E_PORT:?E2E_PORT is not set}"
# localhost: WebAuthn needs a domain name (passkeys.spec.ts); the browser opens this URL.
export MAYI_PUBLIC_URL="http://localhost:${E2E_PORT}"
export MAYI_DEV=true
# Every browser of the suite comes from 127.0.0.1, like a whole campus behind one NAT: the
# per-address windows are raised (the per-account limits, which the tests rely on, are not).
export MAYI_LIMIT_ADDRESS_SENDS=1000
export MAYI_LIMIT_ADDRESS_WIZARD_STARTS=1000
export MAYI_LIMIT_ADDRESS_FAILURES=1000
# The suite's Emergency Access tests ask for their codes from fresh browsers and sign in with
# them at once: no waiting period for a browser that never signed in (issue 13 item 5; the
# wait itself is covered by server/tests/abuse.rs).
export MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN=0
export MAYI_SITE_ROOT="${MAYI_SITE_ROOT:-$here/../target/site}"

# Real delivery peers on loopback: SMTP for email, an HTTP SMS gateway; the tests read what
# arrived from the same helper.
node "$here/fake-delivery.mjs" &
delivery_pid=$!
rp_pid=""
cleanup() {
  kill $delivery_pid $rp_pid 2>/dev/null || true
  rm -rf "$dir"
  if [ -n "$pg_db" ]; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true; fi
}
trap cleanup EXIT
export MAYI_SMTP_URL="smtp://127.0.0.1:${E2E_SMTP_PORT:?E2E_SMTP_PORT is not set}"
export MAYI_SMS_GATEWAY_URL="http://127.0.0.1:${E2E_DELIVERY_PORT:?E2E_DELIVERY_PORT is not set}/sms"
export MAYI_MAIL_FROM="MAYI ID <no-reply@mayi.test>"

"$bin" migrate

# Signing in to other applications (tests/oidc.spec.ts): "Wiki", run by the organisation (no
# consent), and "Forum", a public client that is not (PKCE, consent); accounts with an app and
# a recovery address (the email claim).
rp_url="http://localhost:${E2E_RP_PORT:?E2E_RP_PORT is not set}"
field() { sed -n "s/^$1: //p"; }
wiki="$("$bin" client create --name Wiki --redirect-uri "$rp_url/wiki/callback" --first-party)"
forum="$("$bin" client create --name Forum --redirect-uri "$rp_url/forum/callback" --public)"
for name in oidc-{js,nojs}-{phone,desktop}; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "$name" --display-name "Erin Example" --recovery-email "$name@example.org"
  "$bin" token import --username "$name" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
done
# The console's Applications page: an administrator disables an old application of their own
# per project; an operator only sees the list.
for project in phone desktop; do
  "$bin" client create --name "Old intranet $project" --redirect-uri "https://intranet.example.org/$project" >/dev/null
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "oidc-admin-$project" --display-name "Ada Admin"
  "$bin" user set-role --username "oidc-admin-$project" --role admin
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "oidc-op-$project" --display-name "Olga Operator"
  "$bin" user set-role --username "oidc-op-$project" --role operator
  for name in "oidc-admin-$project" "oidc-op-$project"; do
    "$bin" token import --username "$name" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Desk phone"
  done
done
OIDC_ISSUER="$MAYI_PUBLIC_URL" RP_LISTEN="127.0.0.1:$E2E_RP_PORT" RP_URL="$rp_url" \
  RP_WIKI_ID="$(field client_id <<<"$wiki")" RP_WIKI_SECRET="$(field client_secret <<<"$wiki")" \
  RP_FORUM_ID="$(field client_id <<<"$forum")" "$rp_bin" &
rp_pid=$!

if [ "${E2E_SEED:-all}" = all ]; then
# Keep in step with tests/fixtures.ts: one account per test that signs in, per project.
for name in e2e-user signin-js signin-nojs replay; do
  for project in "" -phone -desktop; do
    username="$name$project"
    [ "$name" = e2e-user ] && [ -n "$project" ] && continue
    printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
      --username "$username" --display-name "Erin Example" --recovery-email "$username@example.org"
    "$bin" token import --username "$username" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
  done
done
# Accounts whose only token sends codes by SMS or email (fixtures.ts: smsNumber, codeEmail).
for project in phone desktop; do
  n=1; [ "$project" = desktop ] && n=2
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "sms-$project" --display-name "Erin Example" --recovery-email "sms-$project@example.org"
  "$bin" token import --username "sms-$project" --kind sms --phone "+42060100000$n" \
    --label "Work phone" --device "Nokia"
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "email-$project" --display-name "Erin Example" --recovery-email "email-$project@example.org"
  "$bin" token import --username "email-$project" --kind email --email "codes-$project@example.org" \
    --label "Work email" --device "Mailbox"
done

# Accounts with two authenticator apps on a phone they lose and one on a tablet they keep.
for name in lost-js-phone lost-js-desktop lost-nojs-phone lost-nojs-desktop cs-lost-js-phone cs-lost-nojs-phone; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "$name" --display-name "Erin Example" --email "$name@example.org"
  for token in "Authenticator app:Old phone" "Work app:Old phone" "Backup app:Tablet"; do
    "$bin" token import --username "$name" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "${token%%:*}" --device "${token#*:}"
  done
done

# Accounts signed in from two browsers at once (one token each, as replay protection needs).
for name in sessions-phone sessions-desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "$name" --display-name "Erin Example"
  for label in "App A" "App B"; do
    "$bin" token import --username "$name" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "$label" --device "$label phone"
  done
done

# Remembered browsers (browsers.spec.ts): signed in from two browsers, one token each.
for name in browsers-phone browsers-desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "$name" --display-name "Erin Example"
  for label in "App A" "App B"; do
    "$bin" token import --username "$name" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "$label" --device "$label phone"
  done
done

# Accounts with no token at all: they set up their first authenticator app on signing in.
for name in fresh-js-phone fresh-js-desktop fresh-nojs-phone fresh-nojs-desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "$name" --display-name "Erin Example" --recovery-email "$name@example.org"
done

# The accessibility run (a11y.spec.ts): one account with an authenticator app, one for the wizard.
for project in phone desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "a11y-$project" --display-name "Erin Example" --recovery-email "a11y-$project@example.org"
  "$bin" token import --username "a11y-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "a11y-wizard-$project" --display-name "Erin Example" --recovery-email "a11y-wizard-$project@example.org"
  "$bin" token import --username "a11y-wizard-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Lost phone"
done

# The help pictures (help-pictures.spec.ts, `make help-pictures`): every token on "Lost phone".
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username pictures --display-name "Erin Example" --recovery-email "pictures@example.org"
"$bin" token import --username pictures --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Lost phone"
"$bin" token import --username pictures --kind sms --phone "+420602999001" \
  --label "Text messages" --device "Lost phone"

# A new set of recovery codes (help-pictures.spec.ts).
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username pictures-recovery --display-name "Erin Example" --recovery-email "pictures-recovery@example.org"
"$bin" token import --username pictures-recovery --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"

# Readiness (readiness.spec.ts): one app on one phone, no recovery address.
for name in ready-{js,nojs}-{phone,desktop}; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "$name" --display-name "Erin Example"
  "$bin" token import --username "$name" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
done

# The readiness banner (help-pictures.spec.ts): one app on one phone, no recovery address.
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username pictures-ready --display-name "Erin Example"
"$bin" token import --username pictures-ready --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"

# The stolen phone's checklist (help-pictures.spec.ts).
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username pictures-stolen --display-name "Erin Example" --recovery-email "pictures-stolen@example.org"
"$bin" token import --username pictures-stolen --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Lost phone"

# Adding a passkey (help-pictures.spec.ts).
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username pictures-passkey --display-name "Erin Example" --recovery-email "pictures-passkey@example.org"
"$bin" token import --username pictures-passkey --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"

printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username pictures-tokens --display-name "Erin Example" --recovery-email "pictures-tokens@example.org"
for token in "Authenticator app:Old phone" "Text messages:Old phone" "Work app:Tablet"; do
  kind=totp; [ "${token%%:*}" = "Text messages" ] && kind=sms
  if [ "$kind" = sms ]; then
    "$bin" token import --username pictures-tokens --kind sms --phone "+420602999002" \
      --label "${token%%:*}" --device "${token#*:}"
  else
    "$bin" token import --username pictures-tokens --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "${token%%:*}" --device "${token#*:}"
  fi
done

# Password change (password.spec.ts).
for name in pw-js-phone pw-js-desktop pw-nojs-phone pw-nojs-desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "$name" --display-name "Erin Example" --recovery-email "$name@example.org"
  "$bin" token import --username "$name" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
done

# Operators for the accessibility run, the layout checks and the help pictures.
for name in op-a11y-phone op-a11y-desktop op-layout-phone op-layout-desktop pictures-op; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "$name" --display-name "Olga Operator"
  "$bin" user set-role --username "$name" --role operator
  "$bin" token import --username "$name" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Desk phone"
done

# Keyboard alone (keyboard.spec.ts).
for project in phone desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "kbd-$project" --display-name "Erin Example" --recovery-email "kbd-$project@example.org"
  "$bin" token import --username "kbd-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Old phone"
done

# "Block my lost phone now" (tests/freeze.spec.ts) and blocking while signed in
# (tests/block.spec.ts): an app on a stolen phone, one on a tablet.
for name in {freeze,block}-{js,nojs}-{phone,desktop}; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "$name" --display-name "Erin Example" --recovery-email "$name@example.org"
  for token in "Authenticator app:Stolen phone" "Backup app:Tablet"; do
    "$bin" token import --username "$name" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "${token%%:*}" --device "${token#*:}"
  done
done

# Emergency Access (emergency.spec.ts): every token on "Lost phone", a confirmed recovery address.
n=10
# A stolen phone (stolen.spec.ts) and recovery codes (recovery-codes.spec.ts) the same way.
for name in emergency-js emergency-nojs emergency-uses emergency-field-js emergency-field-nojs \
  stolen-js stolen-nojs recovery-js recovery-nojs cs-emergency-js cs-emergency-nojs; do
  for project in phone desktop; do
    username="$name-$project"
    n=$((n + 1))
    printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
      --username "$username" --display-name "Erin Example" --recovery-email "$username@example.org"
    "$bin" token import --username "$username" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Lost phone"
    "$bin" token import --username "$username" --kind sms --phone "+4206020000$n" \
      --label "Text messages" --device "Lost phone"
  done
done
# The lost-phone path (tests/lost-phone.spec.ts): an authenticator app and an SMS token on
# "Old phone" and an email token to sign in with after losing it. And an account that sets up an
# authenticator app by QR code. Keep in step with fixtures.ts (lostPhone, qrUser).
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username lostphone-phone --display-name "Erin Example" --recovery-email "lostphone-phone@example.org"
"$bin" token import --username lostphone-phone --kind totp \
  --secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP --label "Authenticator app" --device "Old phone"
"$bin" token import --username lostphone-phone --kind sms --phone "+420601000101" \
  --label "Old SMS" --device "Old phone"
"$bin" token import --username lostphone-phone --kind email --email "lostphone-codes@example.org" \
  --label "Work email" --device "Mailbox"
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username qr-desktop --display-name "Erin Example" --recovery-email "qr-desktop@example.org"
"$bin" token import --username qr-desktop --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
# Contacts on /account with JavaScript off (tests/contacts.spec.ts).
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
  --username lostphone-contacts --display-name "Erin Example" --recovery-email "lostphone-contacts@example.org"
"$bin" token import --username lostphone-contacts --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"

# The operational console (tests/console.spec.ts): operators per project, a user who lost every
# token and has no recovery address, a user to lock, and an ordinary user who tries /admin.
for project in phone desktop; do
  for op in op op-self op-nojs; do
    printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "$op-$project" --display-name "Olga Operator"
    "$bin" user set-role --username "$op-$project" --role operator
    "$bin" token import --username "$op-$project" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Desk phone"
  done
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "console-lost-$project" --display-name "Lena Lost"
  "$bin" token import --username "console-lost-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Lost phone"
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "console-lock-$project" \
    --display-name "Luke Locked" --email "console-lock-$project@example.org"
  # An operator and a user for blocking one token from the console.
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "op-block-$project" --display-name "Olga Operator"
  "$bin" user set-role --username "op-block-$project" --role operator
  "$bin" token import --username "op-block-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Desk phone"
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "console-block-$project" --display-name "Bea Blocked"
  "$bin" token import --username "console-block-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Lost phone"
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "console-user-$project" --display-name "Uma User"
  "$bin" token import --username "console-user-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
done

# "This was not me" (tests/not-me.spec.ts): an app and a confirmed recovery address each; for
# the operator's undo from the console (desktop), a target and an operator of its own.
for name in notme-js-phone notme-js-desktop notme-nojs-phone notme-nojs-desktop undo-target-desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "$name" --display-name "Erin Example" --recovery-email "$name@example.org"
  "$bin" token import --username "$name" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
done
printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username op-undo-desktop --display-name "Olga Operator"
"$bin" user set-role --username op-undo-desktop --role operator
"$bin" token import --username op-undo-desktop --kind totp \
  --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Desk phone"

# Passkeys (tests/passkeys.spec.ts): an app on a lost phone and a recovery address, for a
# security key added in the restricted session; and two apps, for a passkey added while signed
# in and then passed over with JavaScript off.
for project in phone desktop; do
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
    --username "passkey-rec-$project" --display-name "Erin Example" --recovery-email "passkey-rec-$project@example.org"
  "$bin" token import --username "passkey-rec-$project" --kind totp \
    --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Lost phone"
  printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create --username "passkey-nojs-$project" --display-name "Erin Example"
  for label in "App A" "App B"; do
    "$bin" token import --username "passkey-nojs-$project" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "$label" --device "$label phone"
  done
done

fi

"$bin" serve
