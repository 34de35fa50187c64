"""AWS managed policies, service-linked roles and the credential report with
boto3. Imported by e2e/boto3_test.py, which runs checks() with its check()."""

import csv
import io

from botocore.exceptions import ClientError


def _expect(code, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        assert e.response["Error"]["Code"] == code, e
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def checks(iam, account):
    def aws_managed_policies():
        names = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS", PaginationConfig={"PageSize": 500})
                 for p in page["Policies"]]
        assert len(names) == 1569 and "SecurityAudit" in names, len(names)
        iam.create_role(RoleName="boto3-fn", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
        arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        iam.attach_role_policy(RoleName="boto3-fn", PolicyArn=arn)
        p = iam.get_policy(PolicyArn=arn)["Policy"]
        assert p["AttachmentCount"] == 1 and p["Path"] == "/service-role/", p
        doc = iam.get_policy_version(PolicyArn=arn, VersionId=p["DefaultVersionId"])["PolicyVersion"]["Document"]
        assert "logs:CreateLogGroup" in str(doc), doc

    def service_linked_role():
        r = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="boto3")["Role"]
        assert r["RoleName"] == "AWSServiceRoleForAutoScaling_boto3", r
        assert r["Path"] == "/aws-service-role/autoscaling.amazonaws.com/", r
        e = _expect("UnmodifiableEntity", iam.put_role_policy, RoleName=r["RoleName"], PolicyName="x",
                    PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}')
        assert "only modifiable by AWS" in e.response["Error"]["Message"], e
        _expect("InvalidInput", iam.create_service_linked_role, AWSServiceName="ecs.amazonaws.com", CustomSuffix="x")
        task = iam.delete_service_linked_role(RoleName=r["RoleName"])["DeletionTaskId"]
        assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"

    def credential_report():
        state = iam.generate_credential_report()["State"]
        while state != "COMPLETE":
            state = iam.generate_credential_report()["State"]
        rep = iam.get_credential_report()
        assert rep["ReportFormat"] == "text/csv", rep
        rows = list(csv.DictReader(io.StringIO(rep["Content"].decode())))
        root = rows[0]
        assert root["user"] == "<root_account>" and root["arn"] == f"arn:aws:iam::{account}:root", root
        assert root["password_enabled"] == "not_supported" and root["cert_1_active"] == "false", root
        alice = next(r for r in rows if r["user"] == "alice")
        assert alice["access_key_1_active"] == "true" and alice["password_enabled"] == "false", alice

    return [aws_managed_policies, service_linked_role, credential_report]
