#!/usr/bin/env bash
# The end-to-end demo on the embedded RocksDB default: the fixture mailbox plus a few
# mails made here, through intake (pairing, decryption, form reading, validation), then the
# work queue, staff approval, mail delivery to a local SMTP sink, a download, timers, projection
# replay and the ledger check. Usage: scripts/demo.sh KAKITOME_BINARY DATA_DIR
set -euo pipefail
kakitome=${1:-build/kakitome}
data=${2:-var/demo}
fixtures=$(cd "$(dirname "$0")/.." && pwd)/tests/data/fixtures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rm -rf "$data"
mkdir -p "$work/mailbox"
# The published usage period (2025-05-19 … 2026-03-31) has ended; the demo runs a campaign
# extended by a year. Storage stays the built-in placeholder, which `serve` allows with --demo.
# The configuration is kept beside the data, so the console can be opened on it afterwards.
config="${data%/}.json"
mkdir -p "$(dirname "$config")"
printf '{"campaign": {"usage_period_first": "2025-05-19", "usage_period_last": "2027-03-31"}}\n' > "$config"
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
echo "== kakitome queue --data $data   (open applications by SLA due date, in business days)"
"$kakitome" queue --data "$data"

echo
echo "== staff approve every validated application: a link is issued and its notice queued"
for application in $("$kakitome" queue --data "$data" --json | /usr/bin/python3 -c '
import json, sys
print(" ".join(r["application"] for r in json.load(sys.stdin) if r["state"] == "validated"))'); do
  "$kakitome" command --data "$data" --config "$config" "$application" approve --actor staff-sato
done
echo "   and confirm the automatic rejections, so the applicants are told why"
for application in $("$kakitome" queue --data "$data" --json | /usr/bin/python3 -c '
import json, sys
print(" ".join(r["application"] + ":" + ",".join(r["reasons"]) for r in json.load(sys.stdin) if r["state"] == "rejected"))'); do
  codes=$(printf '%s' "${application#*:}" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split(",")))')
  "$kakitome" command --data "$data" --config "$config" "${application%%:*}" reject --actor staff-sato --args "{\"codes\": $codes}"
done

echo
echo "== kakitome process: the outbox delivers to a local SMTP sink (python3-aiosmtpd)"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$work/sent" &
sink=$!
trap 'kill $sink 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
"$kakitome" process --data "$data" --config "$config" --once --smtp "smtp://127.0.0.1:$port"
echo "   mails received by the sink:"
/usr/bin/python3 - "$work/sent/new" <<'PY'
import email, email.header, email.policy, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    print(f"   {mail['To']:32} {mail['Subject']}")
PY
token=$(/usr/bin/python3 - "$work/sent/new" <<'PY'
import email, email.policy, pathlib, re, sys
for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    body = email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_body().get_content()
    found = re.search(r"/d/([A-Za-z0-9_-]{43})", body)
    if found:
        print(found.group(1)); break
PY
)

echo
echo "== an applicant follows the link from the mail: logged, then 302 to a 5-minute SigV4 URL"
"$kakitome" download --data "$data" "$token" --remote 203.0.113.10
echo "== after the link's 14 days, the same link answers 410 (and the refusal is logged too)"
"$kakitome" download --data "$data" "$token" --remote 203.0.113.10 --now "$(date -u -d '+15 days' +%Y-%m-%dT%H:%M:%SZ)" || true

echo
echo "== twenty days later (simulated on a copy: a --now ahead of the clock never touches the data)"
"$kakitome" process --data "$data" --config "$config" --once --simulate --now "$(date -u -d '+20 days' +%Y-%m-%dT%H:%M:%SZ)"
"$kakitome" queue --data "$data" --now "$(date -u -d '+20 days' +%Y-%m-%dT%H:%M:%SZ)"

echo
echo "== kakitome replay --projection queue|downloads|directory: rebuilt from seq 1 = stored"
for projection in queue downloads directory; do "$kakitome" replay --data "$data" --projection "$projection"; done

echo
echo "== kakitome serve: the REST API; an operator reads one application (PII: a disclosure is logged first)"
api_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$kakitome" serve --data "$data" --config "$config" --demo --listen "127.0.0.1:$api_port" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $sink $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$api_port") 2>/dev/null && break; sleep 0.1; done
admin=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["admin_token"])' "$work/serve.log")
operator=$(curl -s -X POST -H "Authorization: Bearer $admin" -d '{"name":"sato","role":"operator"}' "http://127.0.0.1:$api_port/v1/tokens" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
application=$(curl -s -H "Authorization: Bearer $operator" "http://127.0.0.1:$api_port/v1/queue?limit=1" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["application"])')
curl -s -D "$work/headers" -H "Authorization: Bearer $operator" "http://127.0.0.1:$api_port/v1/applications/$application" | cut -c1-160; echo
grep -iE '^(cache-control|pragma|vary|etag|x-request-id):' "$work/headers" | sed 's/^/   /'
kill -TERM "$server"; wait "$server" 2>/dev/null || true
echo "   the operator's log (stderr, JSON lines for journald; docs/operations.md): a line per request,"
echo "   the principal by name, the route as its pattern, never a token or personal data"
grep '"message":"request"' "$work/serve.log" | tail -2 | cut -c1-220 | sed 's/^/   /'

echo
echo "== kakitome incident who-saw $application   (every disclosure of its PII)"
"$kakitome" incident --data "$data" who-saw "$application"

echo
echo "== an incident: reported for today, scoped to every registration, reviewed (APPI assessment at the end)"
from=$(date -u +%Y-%m-%dT00:00:00Z); to=$(date -u -d '+1 day' +%Y-%m-%dT00:00:00Z)
incident=$("$kakitome" incident --data "$data" report --description "demo: was any registration shown to someone else?" \
  --from "$from" --to "$to" --reporter responder-demo | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["incident"])')
"$kakitome" incident --data "$data" scope "$incident" --registered-before "$to" > /dev/null
"$kakitome" incident --data "$data" review --incident "$incident"

echo
echo "== the ledger: a signed checkpoint, an export, and its verification with only the public key"
"$kakitome" ledger --data "$data" checkpoint
"$kakitome" ledger --data "$data" pubkey > "$work/ledger.pub"
"$kakitome" export --data "$data" --to "$work/ledger.export"
"$kakitome" verify --export "$work/ledger.export" --pubkey "$work/ledger.pub"
/usr/bin/python3 - "$work/ledger.export" "$work/tampered.export" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
entry = json.loads(lines[4])
entry["canonical"] = entry["canonical"].replace('"actor":"system"', '"actor":"systen"', 1)
lines[4] = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY
echo "   one byte changed in one event:"
"$kakitome" verify --export "$work/tampered.export" --pubkey "$work/ledger.pub" || true
echo "   an auditor's trail of $application (first event, with its inclusion proof):"
"$kakitome" trail --data "$data" "$application" | sed -n 2p | cut -c1-200

echo
echo "== kakitome verify --data $data"
"$kakitome" verify --data "$data"

echo
echo "== running it for years: a witness cosigns the checkpoints, serve backs up, a restore proves itself"
witness_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -m 700 "$work/witness-keys"
witness_key=$("$kakitome" witness pubkey --key "$work/witness-keys/witness.key" --name witness.demo.example)
"$kakitome" witness serve --key "$work/witness-keys/witness.key" --name witness.demo.example \
  --state "$work/witness-state" --log "$work/ledger.pub" --listen "127.0.0.1:$witness_port" > "$work/witness.log" &
witness=$!
trap 'kill $sink $witness 2>/dev/null; rm -rf "$work"' EXIT
/usr/bin/python3 - "$config" "$work/operations.json" "http://127.0.0.1:$witness_port/" "$witness_key" "$work/backups" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["witnesses"] = [{"url": sys.argv[3], "verifier_key": sys.argv[4]}]
config["min_witnesses"] = 1
config["backup"] = {"directory": sys.argv[5], "keep": 7}
config["retention"] = {"after_close_business_days": 20, "after_usage_period_days": 90}
json.dump(config, open(sys.argv[2], "w"))
PY
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$witness_port") 2>/dev/null && break; sleep 0.1; done
"$kakitome" serve --data "$data" --config "$work/operations.json" --demo --checkpoint-seconds 1 \
  --listen "127.0.0.1:$api_port" > "$work/serve2.log" 2>&1 &
server=$!
trap 'kill $sink $witness $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$api_port") 2>/dev/null && break; sleep 0.1; done
auditor=$(curl -s -X POST -H "Authorization: Bearer $admin" -d '{"name":"kansa","role":"auditor"}' "http://127.0.0.1:$api_port/v1/tokens" |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
for _ in $(seq 100); do
  curl -s -D "$work/checkpoint.headers" -o "$work/checkpoint.note" -H "Authorization: Bearer $auditor" "http://127.0.0.1:$api_port/v1/ledger/checkpoint"
  grep -q '^X-Cosignatures: 1 of 1' "$work/checkpoint.headers" && break; sleep 0.2
done
echo "   GET /v1/ledger/checkpoint: the log's signature and the witness's cosignature"
sed 's/^/   /' "$work/checkpoint.note"
echo "   POST /v1/backups (consistent while serving, incremental, checksums verified):"
curl -s -X POST -H "Authorization: Bearer $admin" "http://127.0.0.1:$api_port/v1/backups" | sed 's/^/   /'; echo
kill -TERM "$server"; wait "$server" 2>/dev/null || true
echo "   kakitome restore: into a new directory, proved against the checkpoint the witness cosigned"
"$kakitome" restore --from "$work/backups" --to "$work/restored" --master-key "$data/master.key" \
  --ledger-key "$data/ledger.key" --known-checkpoint "$work/checkpoint.note" | sed 's/^/   /'
"$kakitome" verify --data "$work/restored" --pubkey "$work/ledger.pub" | head -1 | sed 's/^/   /'
kill "$witness" 2>/dev/null || true
echo "   kakitome retention --dry-run: what the retention policy would erase today, and why"
"$kakitome" retention --dry-run --data "$data" --config "$work/operations.json" > "$work/retention.jsonl"
head -2 "$work/retention.jsonl" | sed 's/^/   /'
tail -1 "$work/retention.jsonl" | sed 's/^/   /'

echo
echo "== the console: start the server on the demo data and log in with one of these tokens"
for role in supervisor auditor responder; do
  created=$("$kakitome" token create --data "$data" --role "$role" --name "demo-$role" --display-name "デモ $role")
  printf '   %-10s %s\n' "$role" "$(printf '%s' "$created" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
done
echo "   $kakitome serve --data $data --config $config --demo --listen 127.0.0.1:8080"
echo "   then open http://127.0.0.1:8080/console/  (docs/console.md)"
