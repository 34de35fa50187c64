#!/bin/sh
# credential_process helper: assume a role on mantle with the AWS CLI and print
# the credentials in the credential_process JSON format (Version 1).
#
#   credential-process.sh SOURCE_PROFILE ROLE_ARN [EXTERNAL_ID]
#
# The endpoint comes from MANTLE_ENDPOINT, else AWS_ENDPOINT_URL_STS, else
# AWS_ENDPOINT_URL; it is passed as --endpoint-url so that clients that ignore
# AWS_ENDPOINT_URL (Debian's awscli 2.9, boto3 1.26) work too.
set -eu
profile=$1 role=$2 external_id=${3:-}
endpoint=${MANTLE_ENDPOINT:-${AWS_ENDPOINT_URL_STS:-${AWS_ENDPOINT_URL:?set MANTLE_ENDPOINT or AWS_ENDPOINT_URL}}}
exec env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	aws sts assume-role --profile "$profile" --endpoint-url "$endpoint" \
	--role-arn "$role" --role-session-name credential-process \
	${external_id:+--external-id "$external_id"} \
	--output json --query '{Version: `1`, AccessKeyId: Credentials.AccessKeyId,
	  SecretAccessKey: Credentials.SecretAccessKey, SessionToken: Credentials.SessionToken,
	  Expiration: Credentials.Expiration}'
