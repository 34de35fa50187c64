// AWS managed policies, service-linked roles and the credential report with
// the AWS SDK for JavaScript v3 (node's test runner; the tests run in order).
// Run by e2e/run.sh with scenarios.test.mjs, against the same mantle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IAMClient, paginateListPolicies, GetPolicyCommand, CreateUserCommand, AttachUserPolicyCommand,
  CreateServiceLinkedRoleCommand, DeleteRoleCommand, DeleteServiceLinkedRoleCommand,
  GetServiceLinkedRoleDeletionStatusCommand, GenerateCredentialReportCommand, GetCredentialReportCommand,
  UnmodifiableEntityException, CredentialReportNotPresentException,
} from '@aws-sdk/client-iam';

const A = process.env.MANTLE_ACCOUNT_ID;
const iam = new IAMClient({ region: 'us-east-1' });

test('aws_managed_policies', async () => {
  let n = 0;
  for await (const page of paginateListPolicies({ client: iam, pageSize: 500 }, { Scope: 'AWS' })) n += page.Policies.length;
  assert.equal(n, 1569);
  await iam.send(new CreateUserCommand({ UserName: 'js-auditor' }));
  const arn = 'arn:aws:iam::aws:policy/SecurityAudit';
  await iam.send(new AttachUserPolicyCommand({ UserName: 'js-auditor', PolicyArn: arn }));
  const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  assert.equal(Policy.AttachmentCount, 1);
  assert.match(Policy.PolicyId, /^ANPA[A-Z2-7]{17}$/);
});

test('service_linked_role', async () => {
  const { Role } = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'rds.amazonaws.com' }));
  assert.equal(Role.Arn, `arn:aws:iam::${A}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`);
  await assert.rejects(iam.send(new DeleteRoleCommand({ RoleName: Role.RoleName })), (e) => e instanceof UnmodifiableEntityException
    && e.message === "Cannot perform the operation on the protected role 'AWSServiceRoleForRDS' - this role is only modifiable by AWS");
  const { DeletionTaskId } = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: Role.RoleName }));
  const st = await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId }));
  assert.equal(st.Status, 'SUCCEEDED');
});

test('credential_report', async () => {
  await assert.rejects(iam.send(new GetCredentialReportCommand({})), (e) => e instanceof CredentialReportNotPresentException
    || e.name === 'ReportNotPresent');
  let { State } = await iam.send(new GenerateCredentialReportCommand({}));
  while (State !== 'COMPLETE') ({ State } = await iam.send(new GenerateCredentialReportCommand({})));
  const rep = await iam.send(new GetCredentialReportCommand({}));
  const lines = Buffer.from(rep.Content).toString().trimEnd().split('\n');
  assert.equal(lines[0].split(',').length, 22);
  assert.ok(lines[1].startsWith(`<root_account>,arn:aws:iam::${A}:root,`), lines[1]);
  assert.ok(lines.some((l) => l.startsWith(`js-auditor,arn:aws:iam::${A}:user/js-auditor,`)), lines.join('\n'));
});
