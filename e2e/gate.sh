#!/usr/bin/env bash
# mantle gate with the clients people use (curl --aws-sigv4, botocore's
# SigV4Auth, the AWS CLI): the refusals docs/gate.md does not walk
# through, another account's principal let in by the resource policy, and
# several APIs from a --config file. One line per check, as every client.
set -u
cd "$E2E_WORK"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
check() { # check NAME COMMAND...: PASS when the command succeeds
	local name=$1
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(echo "$out" | tail -5)"; fi
}
ACCOUNT=$MANTLE_ACCOUNT_ID
read -r GATE GATE2 UPSTREAM < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
python3 "$E2E_DIR/../docs/examples/gate-upstream.py" "$UPSTREAM" &
UPSTREAM_PID=$!
GATE_PIDS=()
trap 'kill $UPSTREAM_PID "${GATE_PIDS[@]}" 2>/dev/null' EXIT

aws iam create-user --user-name gatekeeper >/dev/null
aws iam put-user-policy --user-name gatekeeper --policy-name ask --policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"mantle:AuthorizeRequest","Resource":"arn:aws:execute-api:us-east-1:'"$ACCOUNT"':*"}]}'
read -r GK GS < <(aws iam create-access-key --user-name gatekeeper --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
aws iam create-user --user-name caller >/dev/null
aws iam put-user-policy --user-name caller --policy-name p --policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:'"$ACCOUNT"':*/prod/*/orders/*"}]}'
read -r CK CS < <(aws iam create-access-key --user-name caller --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)

# Another account (an organization member) whose administrator role is
# let in by the API's resource policy.
aws organizations create-organization --feature-set ALL >/dev/null
MEMBER=$(aws organizations create-account --email partner@example.com --account-name partner \
	--query CreateAccountStatus.AccountId --output text)
aws iam create-user --user-name partner-ops >/dev/null
aws iam put-user-policy --user-name partner-ops --policy-name p --policy-document \
	'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
read -r OK OS < <(aws iam create-access-key --user-name partner-ops --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
sleep 1 # a new key is usable at once, but the CLI's clock rounds
read -r PK PS PT < <(AWS_ACCESS_KEY_ID=$OK AWS_SECRET_ACCESS_KEY=$OS aws sts assume-role \
	--role-arn "arn:aws:iam::$MEMBER:role/OrganizationAccountAccessRole" --role-session-name partner \
	--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)

cat >orders-policy.json <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"AWS":["$ACCOUNT","arn:aws:iam::$MEMBER:role/OrganizationAccountAccessRole"]},
 "Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/orders/*"}]}
EOF
cat >gate-routes.json <<EOF
{"routes":[
 {"apiId":"orders","stage":"prod","upstream":"http://127.0.0.1:$UPSTREAM","resourcePolicy":"orders-policy.json"},
 {"apiId":"billing","stage":"prod","upstream":"http://127.0.0.1:$UPSTREAM/billing"}]}
EOF
AWS_ACCESS_KEY_ID=$GK AWS_SECRET_ACCESS_KEY=$GS mantle gate --listen 127.0.0.1:$GATE --config gate-routes.json \
	--mantle "$MANTLE_ENDPOINT" >gate.log 2>&1 &
GATE_PIDS+=($!)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$GATE/" >/dev/null && break; sleep 0.1; done

# sig KEY SECRET TOKEN API -- CURL ARGS: curl signing for execute-api, for
# the API's host; prints the body, then the status and error type.
sig() {
	local k=$1 s=$2 t=$3 api=$4
	shift 5
	curl -sS --aws-sigv4 "aws:amz:us-east-1:execute-api" --user "$k:$s" ${t:+-H "x-amz-security-token: $t"} \
		-H "Host: $api.execute-api.us-east-1.amazonaws.com" -w '\n%{http_code} %header{x-amzn-errortype}' "$@"
}
expect() { # expect OUTPUT STATUS TEXT
	grep -q "$3" <<<"$1" && tail -1 <<<"$1" | grep -q "^$2" || { echo "$1"; return 1; }
}

o=$(sig "$CK" "$CS" "" orders -- "http://127.0.0.1:$GATE/prod/orders/1")
check gate-user-key-allowed expect "$o" 200 '"X-Mantle-User-Name": "caller"'
o=$(sig "$CK" "$CS" "" billing -- "http://127.0.0.1:$GATE/prod/orders/1")
check gate-config-second-api expect "$o" 200 '"path": "/billing/orders/1"'
o=$(sig "$CK" "$CS" "" orders -- "http://127.0.0.1:$GATE/prod/invoices/1")
check gate-path-outside-grant expect "$o" 403 "arn:aws:execute-api:us-east-1:$ACCOUNT:orders/prod/GET/invoices/1"

o=$(curl -sS -H "Host: orders.execute-api.us-east-1.amazonaws.com" -w '\n%{http_code}' "http://127.0.0.1:$GATE/prod/orders/1")
check gate-unsigned expect "$o" 403 'Missing Authentication Token'
o=$(sig AKIAUNKNOWNKEY000001 "$CS" "" orders -- "http://127.0.0.1:$GATE/prod/orders/1")
check gate-unknown-key expect "$o" 403 'The security token included in the request is invalid.'
o=$(sig "$CK" "x$CS" "" orders -- "http://127.0.0.1:$GATE/prod/orders/1")
check gate-wrong-secret expect "$o" 403 'The request signature we calculated does not match'
o=$(sig "$PK" "$PS" "${PT%????}AAAA" orders -- "http://127.0.0.1:$GATE/prod/orders/1")
check gate-tampered-token expect "$o" 403 'The security token included in the request is invalid.'

o=$(sig "$PK" "$PS" "$PT" orders -- "http://127.0.0.1:$GATE/prod/orders/7")
check gate-cross-account-allowed expect "$o" 200 "\"X-Mantle-Account-Id\": \"$MEMBER\""
o=$(sig "$PK" "$PS" "$PT" billing -- "http://127.0.0.1:$GATE/prod/orders/7")
check gate-cross-account-without-resource-policy expect "$o" 403 \
	"User: arn:aws:sts::$MEMBER:assumed-role/OrganizationAccountAccessRole/partner is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:$ACCOUNT:billing/prod/GET/orders/7"

# A body other than the one signed, and a path other than the one signed.
check gate-body-and-path-swapped env GATE=$GATE CK=$CK CS=$CS python3 - <<'PY'
import os, urllib.error, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
base = "http://127.0.0.1:%s" % os.environ["GATE"]
def send(signed_path, sent_path, body, sent_body):
    headers = {"Content-Type": "application/json", "Host": "orders.execute-api.us-east-1.amazonaws.com"}
    req = AWSRequest(method="PUT", url=base + signed_path, data=body, headers=headers)
    SigV4Auth(Credentials(os.environ["CK"], os.environ["CS"]), "execute-api", "us-east-1").add_auth(req)
    r = urllib.request.Request(base + sent_path, data=sent_body.encode(), method="PUT", headers=dict(req.headers.items()))
    try:
        urllib.request.urlopen(r)
        return None
    except urllib.error.HTTPError as e:
        return e.code, e.headers["x-amzn-ErrorType"]
assert send("/prod/orders/1", "/prod/orders/1", '{"n":1}', '{"n":2}') == (403, "InvalidSignatureException")
assert send("/prod/orders/1", "/prod/orders/2", '{"n":1}', '{"n":1}') == (403, "InvalidSignatureException")
# The same request as signed passes: within one account the caller's own
# policy (any method on orders) suffices though the resource policy names GET.
assert send("/prod/orders/1", "/prod/orders/1", '{"n":1}', '{"n":1}') is None
PY

check gate-data-events bash -c "aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventSource,AttributeValue=execute-api.amazonaws.com \
	--query 'Events[].Username' --output text | grep -q caller"
# The partner's invocation is in the API owner's history.
check gate-cross-account-event bash -c "aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=$PK \
	--query 'Events[].EventName' --output text | grep -q Invoke"

# A resource policy that does not validate stops the gate before it serves.
echo '{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}' >bad-policy.json
check gate-invalid-policy-refused bash -c "AWS_ACCESS_KEY_ID=$GK AWS_SECRET_ACCESS_KEY=$GS mantle gate --listen 127.0.0.1:$GATE2 \
	--upstream http://127.0.0.1:$UPSTREAM --api-id x --resource-policy bad-policy.json --mantle $MANTLE_ENDPOINT 2>&1; test \$? = 2"
