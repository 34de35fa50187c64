# AWS managed policies, service-linked roles and the credential report with
# the AWS CLI. Sourced by e2e/cli.sh, whose helpers (ok, fails, eq, check)
# it uses.

list_policies_aws() {
	# The CLI pages through all of them and merges the pages (JSON output).
	ok aws iam list-policies --scope AWS --page-size 1000 --query 'length(Policies)' --output json || return 1
	eq "AWS managed policies" "$OUT" 1569 || return 1
	ok aws iam list-policies --scope AWS --path-prefix /job-function/ --query 'length(Policies)' --output text || return 1
	eq "under /job-function/" "$OUT" 11 || return 1
	ok aws iam get-policy-version --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess \
		--version-id "$(aws iam get-policy --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess --query Policy.DefaultVersionId --output text)" \
		--query 'PolicyVersion.Document.Statement[0].Action' --output text || return 1
	[[ $OUT == *"s3:Get*"* ]] || { WHY="AmazonS3ReadOnlyAccess actions: $OUT"; return 1; }
}

attach_aws_managed() {
	ok aws iam create-user --user-name e2e-reader || return 1
	ok aws iam attach-user-policy --user-name e2e-reader --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess || return 1
	ok aws iam list-attached-user-policies --user-name e2e-reader --query 'AttachedPolicies[0].PolicyName' --output text || return 1
	eq "attached" "$OUT" AmazonS3ReadOnlyAccess || return 1
	ok aws iam get-policy --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess --query Policy.AttachmentCount --output text || return 1
	eq "AttachmentCount" "$OUT" 1
}

service_linked_role() {
	ok aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com --query Role.Arn --output text || return 1
	eq "ARN" "$OUT" "arn:aws:iam::$A:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS" || return 1
	fails UnmodifiableEntity aws iam detach-role-policy --role-name AWSServiceRoleForECS \
		--policy-arn arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy || return 1
	ok aws iam delete-service-linked-role --role-name AWSServiceRoleForECS --query DeletionTaskId --output text || return 1
	ok aws iam get-service-linked-role-deletion-status --deletion-task-id "$OUT" --query Status --output text || return 1
	eq "deletion status" "$OUT" SUCCEEDED
}

credential_report() {
	fails ReportNotPresent aws iam get-credential-report || return 1
	ok aws iam generate-credential-report --query State --output text || return 1
	eq "first generate" "$OUT" STARTED || return 1
	ok aws iam generate-credential-report --query State --output text || return 1
	eq "second generate" "$OUT" COMPLETE || return 1
	ok aws iam get-credential-report --query Content --output text || return 1
	local csv
	csv=$(printf %s "$OUT" | base64 -d) || { WHY="Content is not base64: $OUT"; return 1; }
	eq "header" "$(printf %s "$csv" | head -1 | cut -d, -f1-8)" "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active" || return 1
	[[ $(printf %s "$csv" | sed -n 2p) == "<root_account>,arn:aws:iam::$A:root,"*",not_supported,"* ]] || { WHY="root row: $(printf %s "$csv" | sed -n 2p)"; return 1; }
	[[ $csv == *$'\n'"e2e-reader,arn:aws:iam::$A:user/e2e-reader,"* ]] || { WHY="no e2e-reader row: $csv"; return 1; }
}

check list_policies_aws list_policies_aws
check attach_aws_managed attach_aws_managed
check service_linked_role service_linked_role
check credential_report credential_report
