#!/usr/bin/env bash
# The end-to-end demo on the embedded RocksDB default: the shared fixture mailbox plus a few
# mails made here, through intake (pairing, decryption, form reading, validation), then the
# work queue and the ledger check. Usage: scripts/demo.sh KAKITOME_BINARY DATA_DIR
set -euo pipefail
kakitome=${1:-build/kakitome}
data=${2:-var/demo}
fixtures=$(cd "$(dirname "$0")/../.." && pwd)/shared/fixtures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf "$data"
mkdir -p "$work/mailbox"
cp "$fixtures"/mail/*.eml "$work/mailbox/"

# A mail as a Japanese client sends it: ISO-2022-JP subject, base64 attachment.
subject='=?iso-2022-jp?b?UFIgGyRCRjAyaE14TVE/PUBBGyhC?='   # 「PR 動画利用申請」
form_mail() {  # from, message-id, date, encrypted file
  printf 'From: %s\r\nTo: info@mainahokensyou.com\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="form.xlsx"\r\n\r\n' "$1" "$subject" "$2" "$3"
  base64 -w 76 "$4" | sed 's/$/\r/'
  printf -- '--b--\r\n'
}
password_mail() {  # from, message-id, date, password
  printf 'From: %s\r\nTo: info@mainahokensyou.com\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n%s\r\n' "$1" "$subject" "$2" "$3" "$4"
}

echo "== kakitome encrypt: forms for the extra demo mails"
"$kakitome" encrypt --password 'Tachibana-2025' "$fixtures/forms/valid_all_usages.xlsx" "$work/pending.xlsx"
"$kakitome" encrypt --password 'Kenpo#0610' "$fixtures/forms/invalid_no_consent.xlsx" "$work/no_consent.xlsx"
form_mail 'tachibana@dental.example.jp' 'demo-form-1@example.jp' 'Tue, 10 Jun 2025 10:00:00 +0900' "$work/pending.xlsx" > "$work/mailbox/demo1_form.eml"
password_mail 'tachibana@dental.example.jp' 'demo-pw-1@example.jp' 'Tue, 10 Jun 2025 10:05:00 +0900' 'wrong-guess' > "$work/mailbox/demo1_wrong_password.eml"
form_mail 'kenpo@example.or.jp' 'demo-form-2@example.jp' 'Tue, 10 Jun 2025 11:00:00 +0900' "$work/no_consent.xlsx" > "$work/mailbox/demo2_form.eml"
password_mail 'kenpo@example.or.jp' 'demo-pw-2@example.jp' 'Tue, 10 Jun 2025 11:02:00 +0900' 'Kenpo#0610' > "$work/mailbox/demo2_password.eml"

echo
echo "== kakitome ingest --data $data MAILBOX   (one JSON line per mail, in Date order)"
"$kakitome" ingest --data "$data" "$work/mailbox"
echo
echo "== the same mailbox again: every mail is a duplicate, nothing is appended"
"$kakitome" ingest --data "$data" "$work/mailbox" | grep -c '"classification":"duplicate"' | sed 's/^/duplicates: /'
echo
echo "== kakitome queue --data $data   (pending pairs first)"
"$kakitome" queue --data "$data"
echo
echo "== kakitome verify --data $data"
"$kakitome" verify --data "$data"
