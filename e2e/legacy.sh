#!/usr/bin/env bash
# Clients that predate AWS_ENDPOINT_URL, as Debian 12 ships them: awscli 2.9
# and python3-boto3 1.26 (apt-get install awscli python3-boto3). They need
# --endpoint-url / endpoint_url= on every call, and their role_arn profiles
# would call AWS's own STS, so roles are assumed through credential_process
# (docs/clients.md). Run by e2e/run.sh when /usr/bin/aws is such a CLI.
set -u
A=$MANTLE_ACCOUNT_ID
W=$E2E_WORK
E=$MANTLE_ENDPOINT
export PATH=/usr/bin:/bin:$PATH # Debian's aws and python3 first, also for the helper
unset AWS_ENDPOINT_URL
OUT= ERR= WHY=
call() {
	local rc
	OUT=$("$@" 2>"$W/stderr")
	rc=$?
	ERR=$(cat "$W/stderr")
	return $rc
}
ok() {
	local rc
	call "$@"
	rc=$?
	if [ $rc -ne 0 ]; then WHY="'$*' exited $rc: $ERR"; return 1; fi
	if [ -n "$ERR" ]; then WHY="'$*' wrote to stderr: $ERR"; return 1; fi
}
eq() { [ "$2" = "$3" ] && return 0; WHY="$1: got '$2', want '$3'"; return 1; }
check() {
	WHY=
	if "$2"; then echo "PASS $1"; else echo "FAIL $1: ${WHY//$'\n'/ }"; fi
}

echo "# $(aws --version 2>&1)"
legacy_endpoint_url() {
	ok aws --endpoint-url "$E" sts get-caller-identity --query Arn --output text || return 1
	eq "root Arn" "$OUT" "arn:aws:iam::$A:root" || return 1
	ok aws --endpoint-url "$E" iam create-user --user-name leg --query User.Arn --output text || return 1
	ok aws --endpoint-url "$E" iam create-role --role-name leg-role --assume-role-policy-document \
		"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$A:user/leg\"},\"Action\":\"sts:AssumeRole\"}]}" || return 1
	ok aws --endpoint-url "$E" iam attach-role-policy --role-name leg-role --policy-arn arn:aws:iam::aws:policy/IAMReadOnlyAccess || return 1
	ok aws --endpoint-url "$E" iam create-access-key --user-name leg \
		--query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text || return 1
	local k s
	read -r k s <<<"$OUT"
	printf '[leg]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$k" "$s" >>"$AWS_SHARED_CREDENTIALS_FILE"
	printf '[profile leg-role]\ncredential_process = %s leg arn:aws:iam::%s:role/leg-role\n' \
		"$E2E_DIR/../docs/examples/credential-process.sh" "$A" >>"$AWS_CONFIG_FILE"
	call env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY aws --endpoint-url "$E" --profile leg iam list-users && { WHY="leg may list users"; return 1; }
	case $ERR in *"User: arn:aws:iam::$A:user/leg is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::$A:user/ because no identity-based policy allows the iam:ListUsers action"*) ;; *)
		WHY="message: $ERR"; return 1 ;; esac
}
legacy_credential_process() {
	ok env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY aws --endpoint-url "$E" --profile leg-role \
		sts get-caller-identity --query Arn --output text || return 1
	eq "Arn" "$OUT" "arn:aws:sts::$A:assumed-role/leg-role/credential-process" || return 1
	ok env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY aws --endpoint-url "$E" --profile leg-role \
		iam list-roles --query 'Roles[].RoleName' --output text || return 1
	eq "ListRoles" "$OUT" leg-role
}
legacy_boto3() {
	ok env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY python3 - "$E" "$A" <<'PY' || return 1
import sys
import boto3
endpoint, account = sys.argv[1], sys.argv[2]
s = boto3.Session(profile_name="leg-role")  # credential_process
arn = s.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]
assert arn == f"arn:aws:sts::{account}:assumed-role/leg-role/credential-process", arn
names = [r["RoleName"] for r in s.client("iam", endpoint_url=endpoint).list_roles()["Roles"]]
assert names == ["leg-role"], names
PY
}
check legacy_endpoint_url legacy_endpoint_url
check legacy_credential_process legacy_credential_process
check legacy_boto3 legacy_boto3
