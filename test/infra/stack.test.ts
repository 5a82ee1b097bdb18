/**
 * The synthesized BiiliveStack (infra/app.ts, synthesized once per run by
 * test/support/cdk-template.ts) holds every resource and setting of the seed, taken from the same
 * sources as the embedded server (table definitions, media behaviours, key layout, config
 * defaults), and cdk-nag's AwsSolutions pack reports nothing unacknowledged.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { configSchema } from '../../src/config/schema.ts';
import { tableDefinitions } from '../../src/domain/tables.ts';
import { BEHAVIOURS } from '../../src/domain/media/behaviours.ts';
import { INCOMING_PREFIX, MEDIA_KINDS, mediaKey, uploadKeyFor } from '../../src/domain/media/keys.ts';
import { ADMIN_GROUP } from '../../src/domain/points/points-service.ts';
import { cacheSeconds, ENTIRE_BUCKET_METRICS, pathPattern, QUARANTINE_DAYS } from '../../infra/constructs/media.ts';
import { deployedDefinitions, NOT_ON_AWS } from '../../infra/constructs/tables.ts';
import { FUNCTIONS, type FunctionKey } from '../../infra/constructs/functions.ts';
import { cloudwatchMetrics } from '../../infra/constructs/monitoring.ts';
import { MONITORING, type AlarmSpec, type MetricSpec } from '../../src/domain/monitoring/definition.ts';
import { OUTPUT_IDS } from '../../infra/constructs/outputs.ts';
import { COUNTERS_STREAM } from '../../infra/constructs/triggers.ts';
import { ownUploadPatterns } from '../../infra/constructs/identity.ts';
import { ContextError, resolveContext } from '../../infra/context.ts';
import { eventBridgeCron, ScheduleError } from '../../infra/schedule.ts';
import { synthesized, type CfnTemplate, type Synthesized } from '../support/cdk-template.ts';

const defaults = configSchema.parse({});
const names = defaults.tables;
const deployed = deployedDefinitions(names);
/** Lambda's Node.js runtimes this project may deploy (Node 20 reached end of life in April 2026). */
const MIN_NODE_MAJOR = 22;

let synth: Synthesized;
let tpl: CfnTemplate;
let template: Template;

before(async () => {
  synth = await synthesized();
  tpl = synth.template;
  template = Template.fromJSON(tpl);
});

type Resource = CfnTemplate['Resources'][string];
const resourcesOf = (type: string) => Object.entries(tpl.Resources).filter(([, r]) => r.Type === type);
const props = (r: Resource) => (r.Properties ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The logical id of the resource a construct path ends at (e.g. "Functions/ApiResolver"). */
function logicalIdAt(path: string): string {
  const wanted = [`BiiliveStack/${path}/Resource`, `BiiliveStack/${path}`];
  const hit = Object.entries(tpl.Resources).find(([, r]) => wanted.includes(String(r.Metadata?.['aws:cdk:path'])));
  assert.ok(hit, `no resource at ${path}`);
  return hit[0];
}
const tableId = (defId: string) => logicalIdAt(`Tables/${defId[0].toUpperCase()}${defId.slice(1)}`);
const functionId = (key: FunctionKey) => logicalIdAt(`Functions/${FUNCTIONS[key].id}`);
const bucketId = () => logicalIdAt('Media/Bucket');

/** IAM's `*` and `?` wildcards as a regular expression over a plain string. */
function iamPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** The key part of a bucket-object ARN `{Fn::Join: ['', [{GetAtt bucket Arn}, '/key']]}`. */
function objectKeyPattern(resource: unknown, bucket: string): string | undefined {
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return undefined;
  const [first, ...rest] = join[1];
  if (JSON.stringify(first) !== JSON.stringify({ 'Fn::GetAtt': [bucket, 'Arn'] })) return undefined;
  return rest.map(String).join('').replace(/^\//, '');
}

/** Every statement of the inline policies attached to a role. */
function roleStatements(roleLogicalId: string): Array<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return resourcesOf('AWS::IAM::Policy')
    .filter(([, p]) => (props(p).Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap(([, p]) => props(p).PolicyDocument.Statement);
}
const roleOf = (fnLogicalId: string) => (props(tpl.Resources[fnLogicalId]).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
const asList = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

describe('tables: one per definition of src/domain/tables.ts', () => {
  test('exactly the deployed definitions, the embedded pool state excepted', () => {
    assert.deepEqual([...NOT_ON_AWS], ['identity']);
    const tables = resourcesOf('AWS::DynamoDB::Table').map(([, r]) => props(r).TableName).sort();
    assert.deepEqual(tables, deployed.map((d) => d.name).sort());
    assert.ok(!tables.includes(names.identity));
    assert.equal(deployed.length, tableDefinitions(names).length - 1);
  });

  test('keys and global secondary indexes as defined, on-demand, PITR, encrypted, retained', () => {
    for (const def of deployed) {
      const attrs = [def.partitionKey, def.sortKey, ...(def.indexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])].filter((a) => a !== undefined);
      const unique = [...new Map(attrs.map((a) => [a.name, { AttributeName: a.name, AttributeType: a.type }])).values()];
      const key = (pk: { name: string }, sk?: { name: string }) => [
        { AttributeName: pk.name, KeyType: 'HASH' },
        ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : []),
      ];
      const resource = tpl.Resources[tableId(def.id)];
      assert.equal(resource.DeletionPolicy, 'Retain', def.name);
      assert.equal(resource.UpdateReplacePolicy, 'Retain', def.name);
      const p = props(resource);
      assert.equal(p.TableName, def.name);
      assert.deepEqual(p.KeySchema, key(def.partitionKey, def.sortKey), def.name);
      assert.deepEqual([...p.AttributeDefinitions].sort((a, b) => a.AttributeName.localeCompare(b.AttributeName)), unique.sort((a, b) => a.AttributeName.localeCompare(b.AttributeName)), def.name);
      assert.deepEqual(
        p.GlobalSecondaryIndexes,
        def.indexes?.map((i) => ({ IndexName: i.name, KeySchema: key(i.partitionKey, i.sortKey), Projection: { ProjectionType: 'ALL' } })),
        def.name,
      );
      assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.deepEqual(p.SSESpecification, { SSEEnabled: true });
      assert.deepEqual(p.StreamSpecification, def.stream ? { StreamViewType: 'NEW_AND_OLD_IMAGES' } : undefined, def.name);
    }
    assert.deepEqual(deployed.filter((d) => d.stream).map((d) => d.name), [names.social]);
  });

  test("the system table expires the counters function's markers on expiresAt", () => {
    assert.deepEqual(props(tpl.Resources[tableId('system')]).TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
    const withTtl = resourcesOf('AWS::DynamoDB::Table').filter(([, r]) => props(r).TimeToLiveSpecification);
    assert.equal(withTtl.length, 1);
  });
});

describe('media: bucket and CloudFront', () => {
  test('private, encrypted, TLS-only bucket with request metrics, access logs and CORS for uploads', () => {
    const p = props(tpl.Resources[bucketId()]);
    assert.equal(p.BucketName, defaults.media.bucket);
    assert.deepEqual(p.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    assert.deepEqual(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault, { SSEAlgorithm: 'AES256' });
    assert.deepEqual(p.MetricsConfigurations, [{ Id: ENTIRE_BUCKET_METRICS }]);
    assert.deepEqual(p.LoggingConfiguration.DestinationBucketName, { Ref: logicalIdAt('Media/AccessLogs') });
    const [cors] = p.CorsConfiguration.CorsRules;
    assert.deepEqual([...cors.AllowedMethods].sort(), ['GET', 'HEAD', 'PUT']);
    assert.deepEqual(cors.AllowedOrigins, ['*']);
    assert.equal(tpl.Resources[bucketId()].DeletionPolicy, 'Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('lifecycle: the upload quarantine and incomplete multipart uploads expire after a day', () => {
    const rules = props(tpl.Resources[bucketId()]).LifecycleConfiguration.Rules as Array<Record<string, unknown>>;
    assert.equal(QUARANTINE_DAYS, 1);
    assert.ok(rules.some((r) => r.Prefix === INCOMING_PREFIX && r.ExpirationInDays === 1 && r.Status === 'Enabled'));
    assert.ok(rules.some((r) => JSON.stringify(r.AbortIncompleteMultipartUpload) === JSON.stringify({ DaysAfterInitiation: 1 }) && r.Prefix === undefined));
  });

  test("the seed's three behaviours, TTLs and Cache-Control from BEHAVIOURS, through origin access control", () => {
    const [[, dist]] = resourcesOf('AWS::CloudFront::Distribution');
    const config = props(dist).DistributionConfig;
    const behaviours = config.CacheBehaviors as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(behaviours.map((b) => b.PathPattern), ['/profile-photos/*', '/fotos/*', '/videos/*']);
    assert.deepEqual(BEHAVIOURS.map(pathPattern), ['/profile-photos/*', '/fotos/*', '/videos/*']);
    const expectedTtl: Record<string, number> = { '/profile-photos/*': 86_400, '/fotos/*': 31_536_000, '/videos/*': 0 };
    for (const b of BEHAVIOURS) {
      const behaviour = behaviours.find((x) => x.PathPattern === pathPattern(b))!;
      assert.equal(behaviour.ViewerProtocolPolicy, 'redirect-to-https');
      assert.deepEqual(behaviour.AllowedMethods, ['GET', 'HEAD']);
      const cache = props(tpl.Resources[behaviour.CachePolicyId.Ref]).CachePolicyConfig;
      const ttl = cacheSeconds(b.cacheControl);
      assert.equal(ttl, expectedTtl[pathPattern(b)]);
      assert.deepEqual([cache.DefaultTTL, cache.MaxTTL, cache.MinTTL], [ttl, ttl, 0], b.prefix);
      const headers = props(tpl.Resources[behaviour.ResponseHeadersPolicyId.Ref]).ResponseHeadersPolicyConfig;
      assert.deepEqual(headers.CustomHeadersConfig.Items, [{ Header: 'Cache-Control', Value: b.cacheControl, Override: true }]);
    }
    assert.match(BEHAVIOURS.find((b) => b.prefix === '/fotos/')!.cacheControl, /immutable/);
    // Origin access control on the bucket origin; no public website endpoint.
    const [[oacId, oac]] = resourcesOf('AWS::CloudFront::OriginAccessControl');
    const oacConfig = props(oac).OriginAccessControlConfig;
    assert.deepEqual([oacConfig.OriginAccessControlOriginType, oacConfig.SigningBehavior, oacConfig.SigningProtocol], ['s3', 'always', 'sigv4']);
    const [origin] = config.Origins;
    assert.deepEqual(origin.OriginAccessControlId, { 'Fn::GetAtt': [oacId, 'Id'] });
    assert.deepEqual(origin.DomainName, { 'Fn::GetAtt': [bucketId(), 'RegionalDomainName'] });
    // Any other path: 404 at the edge.
    assert.equal(config.DefaultCacheBehavior.FunctionAssociations[0].EventType, 'viewer-request');
    const [[, fn]] = resourcesOf('AWS::CloudFront::Function');
    assert.match(props(fn).FunctionCode, /statusCode: 404/);
    assert.ok(config.Logging.Bucket);
  });

  test('CloudFront reads objects only with its distribution as source, never the quarantine', () => {
    const statements = resourcesOf('AWS::S3::BucketPolicy')
      .filter(([, p]) => JSON.stringify(props(p).Bucket) === JSON.stringify({ Ref: bucketId() }))
      .flatMap(([, p]) => props(p).PolicyDocument.Statement as Array<Record<string, any>>); // eslint-disable-line @typescript-eslint/no-explicit-any
    const cdn = statements.filter((s) => s.Principal?.Service === 'cloudfront.amazonaws.com');
    const allow = cdn.find((s) => s.Effect === 'Allow')!;
    assert.equal(allow.Action, 's3:GetObject');
    assert.ok(allow.Condition.StringEquals['AWS:SourceArn']);
    const deny = cdn.find((s) => s.Effect === 'Deny')!;
    assert.equal(deny.Action, 's3:GetObject');
    assert.equal(objectKeyPattern(deny.Resource, bucketId()), `${INCOMING_PREFIX}*`);
  });

  test('ProcessProfilePhoto fires on ObjectCreated under the quarantine prefix only', () => {
    const [[, n]] = resourcesOf('Custom::S3BucketNotifications');
    assert.deepEqual(props(n).BucketName, { Ref: bucketId() });
    assert.deepEqual(props(n).NotificationConfiguration, {
      LambdaFunctionConfigurations: [
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: INCOMING_PREFIX }] } },
          LambdaFunctionArn: { 'Fn::GetAtt': [functionId('processProfilePhoto'), 'Arn'] },
        },
      ],
    });
  });
});

describe('identity: Cognito', () => {
  test('user pool as the embedded one: username sign-in, attributes, policy, recovery, trigger, retained', () => {
    const [[id, pool]] = resourcesOf('AWS::Cognito::UserPool');
    const p = props(pool);
    assert.equal(pool.DeletionPolicy, 'Retain');
    assert.deepEqual(p.UsernameConfiguration, { CaseSensitive: false });
    assert.equal(p.UsernameAttributes, undefined, 'sign-in by username, not by e-mail alias');
    assert.equal(p.AdminCreateUserConfig.AllowAdminCreateUserOnly, false);
    assert.deepEqual(p.AutoVerifiedAttributes, ['email']);
    assert.deepEqual(p.Schema.map((s: { Name: string }) => s.Name).sort(), ['email', 'nickname']);
    assert.deepEqual(p.Policies.PasswordPolicy, {
      MinimumLength: defaults.auth.passwordMinLength,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    });
    assert.deepEqual(p.AccountRecoverySetting, { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] });
    assert.deepEqual(p.LambdaConfig, { PostConfirmation: { 'Fn::GetAtt': [functionId('postConfirmation'), 'Arn'] } });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId('postConfirmation'), 'Arn'] },
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [id, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: ADMIN_GROUP, UserPoolId: { Ref: id } });
  });

  test('app client: password and SRP flows, refresh, no secret, lifetimes from config', () => {
    const [[, client]] = resourcesOf('AWS::Cognito::UserPoolClient');
    const p = props(client);
    assert.deepEqual([...p.ExplicitAuthFlows].sort(), ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH']);
    assert.equal(p.GenerateSecret, false);
    assert.equal(p.PreventUserExistenceErrors, 'ENABLED');
    assert.equal(p.EnableTokenRevocation, true);
    const minutes = (value: number, unit: string) => (unit === 'days' ? value * 1440 : unit === 'hours' ? value * 60 : value);
    assert.equal(minutes(p.AccessTokenValidity, p.TokenValidityUnits.AccessToken), defaults.tokens.accessTokenMinutes);
    assert.equal(minutes(p.IdTokenValidity, p.TokenValidityUnits.IdToken), defaults.tokens.idTokenMinutes);
    assert.equal(minutes(p.RefreshTokenValidity, p.TokenValidityUnits.RefreshToken), defaults.tokens.refreshTokenDays * 1440);
  });

  test('identity pool: authenticated role only, whose uploads are scoped to the caller sub', () => {
    const [[poolId, pool]] = resourcesOf('AWS::Cognito::IdentityPool');
    assert.equal(props(pool).AllowUnauthenticatedIdentities, false);
    template.hasResourceProperties('AWS::Cognito::IdentityPoolPrincipalTag', {
      IdentityPoolId: { Ref: poolId },
      PrincipalTags: { sub: 'sub' },
      UseDefaults: false,
    });
    const [[, attachment]] = resourcesOf('AWS::Cognito::IdentityPoolRoleAttachment');
    assert.deepEqual(Object.keys(props(attachment).Roles), ['authenticated']);
    const roleId = (props(attachment).Roles.authenticated as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const [trust] = props(tpl.Resources[roleId]).AssumeRolePolicyDocument.Statement;
    assert.deepEqual(trust.Action, ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']);
    assert.deepEqual(trust.Condition, {
      StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: poolId } },
      'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
    });

    const statements = roleStatements(roleId);
    assert.equal(statements.length, 1);
    const [own] = statements;
    assert.equal(own.Action, 's3:PutObject');
    assert.deepEqual(own.Condition, { StringLike: { 'aws:PrincipalTag/sub': '?*' } });
    const patterns = asList(own.Resource).map((r) => objectKeyPattern(r, bucketId())!);
    assert.deepEqual(patterns.sort(), [...ownUploadPatterns()].sort());
    // With the session tag substituted, exactly the caller's upload keys match.
    const me = '3f0c2b1a-0000-4000-8000-000000000001';
    const other = '3f0c2b1a-0000-4000-8000-000000000002';
    const mine = patterns.map((p) => iamPattern(p.replace('${aws:PrincipalTag/sub}', me)));
    const allowed = (key: string) => mine.some((re) => re.test(key));
    for (const kind of MEDIA_KINDS) {
      assert.ok(allowed(uploadKeyFor(kind, mediaKey(kind, me, 1_760_000_000_000))), kind);
      assert.ok(!allowed(uploadKeyFor(kind, mediaKey(kind, other, 1_760_000_000_000))), `${kind} of another user`);
    }
    assert.ok(!allowed(mediaKey('PROFILE_PHOTO', me, 1)), 'a public photo key (only the processor writes those)');
    assert.ok(!allowed(`${INCOMING_PREFIX}profile-photos/${other}/photo_1.jpg`));
  });
});

describe('functions', () => {
  const keys = Object.keys(FUNCTIONS) as FunctionKey[];

  test(`every function: Node.js >= ${MIN_NODE_MAJOR}, x86_64, X-Ray, log retention, sized as specified`, () => {
    for (const key of keys) {
      const spec = FUNCTIONS[key];
      const p = props(tpl.Resources[functionId(key)]);
      const major = Number(/^nodejs(\d+)\.x$/.exec(p.Runtime)?.[1]);
      assert.ok(major >= MIN_NODE_MAJOR, `${spec.id}: ${p.Runtime}`);
      assert.deepEqual(p.Architectures, ['x86_64']);
      assert.deepEqual(p.TracingConfig, { Mode: 'Active' });
      assert.equal(p.Handler, 'index.handler');
      assert.equal(p.MemorySize, spec.memoryMb);
      assert.equal(p.Timeout, spec.timeout.toSeconds());
      const logGroup = tpl.Resources[p.LoggingConfig.LogGroup.Ref];
      assert.equal(props(logGroup).RetentionInDays, 30);
    }
    assert.equal(props(tpl.Resources[functionId('calculateRankings')]).Timeout, 900);
    assert.ok(props(tpl.Resources[functionId('calculateRankings')]).MemorySize >= 3008);
    assert.equal(props(tpl.Resources[functionId('calculateRankings')]).ReservedConcurrentExecutions, 1);
    assert.ok(props(tpl.Resources[functionId('processProfilePhoto')]).MemorySize >= 1024);
    assert.equal(props(tpl.Resources[functionId('processProfilePhoto')]).Timeout, 60);
  });

  test('configuration through the variables the config loader reads', () => {
    for (const key of keys) {
      const env = props(tpl.Resources[functionId(key)]).Environment.Variables;
      assert.equal(env.BIILIVE_STORE, 'dynamodb');
      assert.equal(env.BIILIVE_MEDIA_STORE, 's3');
      assert.deepEqual(env.BIILIVE_MEDIA_BUCKET, { Ref: bucketId() });
      assert.deepEqual(env.BIILIVE_MEDIA_CDN_BASE_URL, { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdAt('Media/Cdn'), 'DomainName'] }]] });
      assert.equal(env.BIILIVE_REGION, defaults.region);
      // Production mode governs the embedded server (outbox, auto-confirm, introspection); on AWS, Cognito and AppSync own those.
      assert.equal(env.BIILIVE_PRODUCTION, undefined);
      assert.equal(env.NODE_OPTIONS, '--enable-source-maps');
      for (const def of deployed) assert.deepEqual(env[`BIILIVE_TABLES_${def.id.toUpperCase()}`], { Ref: tableId(def.id) });
      assert.equal(env.BIILIVE_TABLES_IDENTITY, undefined);
      // deletePhoto invalidates CloudFront: only the API function knows the distribution.
      if (key === 'apiResolver') assert.deepEqual(env.BIILIVE_MEDIA_CLOUDFRONT_DISTRIBUTION_ID, { Ref: logicalIdAt('Media/Cdn') });
      else assert.equal(env.BIILIVE_MEDIA_CLOUDFRONT_DISTRIBUTION_ID, undefined);
    }
    const invalidators = keys.filter((key) =>
      roleStatements(roleOf(functionId(key))).some((s) => asList(s.Action as string | string[]).includes('cloudfront:CreateInvalidation')),
    );
    assert.deepEqual(invalidators, ['apiResolver'], 'only the API function may invalidate, on its distribution');
  });

  test('least privilege: each role reaches only its tables and media prefixes', () => {
    const tableOf = new Map(deployed.map((d) => [tableId(d.id), d.id]));
    for (const key of keys) {
      const spec = FUNCTIONS[key];
      const statements = roleStatements(roleOf(functionId(key)));
      const touched = { write: new Set<string>(), read: new Set<string>() };
      const prefixes = { put: new Set<string>(), read: new Set<string>(), delete: new Set<string>() };
      for (const s of statements) {
        const actions = asList(s.Action as string | string[]);
        for (const r of asList(s.Resource)) {
          const att = (r as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
          const table = att && att[1] === 'Arn' ? tableOf.get(att[0]) : undefined;
          if (table && actions.some((a) => /PutItem|UpdateItem|DeleteItem|BatchWriteItem/.test(a))) touched.write.add(table);
          if (table && actions.some((a) => /GetItem|Query|Scan/.test(a))) touched.read.add(table);
          const objectKey = objectKeyPattern(r, bucketId());
          if (objectKey === undefined) continue;
          const prefix = objectKey.replace(/\*$/, '');
          if (actions.includes('s3:PutObject')) prefixes.put.add(prefix);
          if (actions.some((a) => a.startsWith('s3:GetObject'))) prefixes.read.add(prefix);
          if (actions.some((a) => a.startsWith('s3:DeleteObject'))) prefixes.delete.add(prefix);
        }
      }
      assert.deepEqual([...touched.write].sort(), [...spec.readWrite].sort(), `${spec.id} writes`);
      assert.deepEqual([...touched.read].sort(), [...new Set([...spec.readWrite, ...(spec.read ?? [])])].sort(), `${spec.id} reads`);
      assert.deepEqual([...prefixes.put].sort(), [...(spec.media?.put ?? [])].sort(), `${spec.id} puts`);
      assert.deepEqual([...prefixes.read].sort(), [...(spec.media?.read ?? [])].sort(), `${spec.id} reads objects`);
      assert.deepEqual([...prefixes.delete].sort(), [...(spec.media?.delete ?? [])].sort(), `${spec.id} deletes`);
    }
  });

  test('bundles: one ES module per function, sharp installed for linux-x64 beside the photo function', (t) => {
    for (const key of keys) {
      const asset = tpl.Resources[functionId(key)].Metadata?.['aws:asset:path'];
      assert.ok(asset, `${FUNCTIONS[key].id} has an asset`);
      const dir = join(synth.cdkOut, String(asset));
      const entry = join(dir, 'index.mjs');
      assert.ok(existsSync(entry), `${entry}`);
      assert.match(readFileSync(entry, 'utf8').slice(0, 300), /createRequire/);
      const sharp = join(dir, 'node_modules', 'sharp');
      assert.equal(existsSync(sharp), key === 'processProfilePhoto', `${FUNCTIONS[key].id}: sharp installed only where it is used`);
      t.diagnostic(`${FUNCTIONS[key].id}: index.mjs ${(statSync(entry).size / 1024).toFixed(0)} KiB, asset ${(dirSize(dir) / 1048576).toFixed(1)} MiB`);
    }
    const photo = join(synth.cdkOut, String(tpl.Resources[functionId('processProfilePhoto')].Metadata?.['aws:asset:path']), 'node_modules', '@img');
    assert.ok(readdirSync(photo).includes('sharp-linux-x64'));
    assert.ok(readdirSync(photo).includes('sharp-libvips-linux-x64'));
  });
});

describe('triggers', () => {
  test('UpdateUserCounters on the SOCIAL-V2 stream with the mapping its markers support, and a dead-letter queue', () => {
    const [[, mapping], ...more] = resourcesOf('AWS::Lambda::EventSourceMapping');
    assert.equal(more.length, 0);
    const p = props(mapping);
    assert.deepEqual(p.FunctionName, { Ref: functionId('updateUserCounters') });
    assert.deepEqual(p.EventSourceArn, { 'Fn::GetAtt': [tableId('social'), 'StreamArn'] });
    assert.equal(p.StartingPosition, 'TRIM_HORIZON');
    assert.deepEqual(p.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(p.BatchSize, COUNTERS_STREAM.batchSize);
    assert.equal(p.MaximumRetryAttempts, COUNTERS_STREAM.retryAttempts);
    assert.equal(p.MaximumRecordAgeInSeconds, COUNTERS_STREAM.maxRecordAge.toSeconds());
    // The contract at the top of the handler lists the mapping settings it supports.
    const header = readFileSync(new URL('../../src/functions/update-user-counters/handler.ts', import.meta.url), 'utf8').split('*/')[0];
    const supported = /Mapping settings this supports:([^(]*)/.exec(header.replace(/\s*\*\s*/g, ' '))?.[1] ?? '';
    assert.match(supported, /ReportBatchItemFailures/);
    assert.equal(p.BisectBatchOnFunctionError, /BisectBatchOnFunctionError(?! false)/.test(supported));
    assert.equal(String(p.ParallelizationFactor), /ParallelizationFactor (\d+)/.exec(supported)?.[1]);
    const dlq = (p.DestinationConfig.OnFailure.Destination as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    assert.equal(tpl.Resources[dlq].Type, 'AWS::SQS::Queue');
    assert.equal(props(tpl.Resources[dlq]).SqsManagedSseEnabled, true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('CalculateRankings daily at 00:00 UTC (config rankings.cron)', () => {
    const [[, rule]] = resourcesOf('AWS::Events::Rule');
    assert.equal(defaults.rankings.cron, '0 0 * * *');
    assert.equal(props(rule).ScheduleExpression, 'cron(0 0 * * ? *)');
    assert.deepEqual(props(rule).Targets.map((t: { Arn: unknown }) => t.Arn), [{ 'Fn::GetAtt': [functionId('calculateRankings'), 'Arn'] }]);
  });
});

describe('API', () => {
  test('AppSync with the user pool as default mode, the API key as additional, the resolver function as a data source', () => {
    const [[, api]] = resourcesOf('AWS::AppSync::GraphQLApi');
    assert.equal(props(api).AuthenticationType, 'AMAZON_COGNITO_USER_POOLS');
    assert.deepEqual(props(api).AdditionalAuthenticationProviders.map((p: { AuthenticationType: string }) => p.AuthenticationType), ['API_KEY']);
    template.hasResourceProperties('AWS::AppSync::DataSource', {
      Type: 'AWS_LAMBDA',
      LambdaConfig: { LambdaFunctionArn: { 'Fn::GetAtt': [functionId('apiResolver'), 'Arn'] } },
    });
  });
});

describe('monitoring', () => {
  const instances: Record<AlarmSpec['per'], number> = { api: 1, table: deployed.length, function: Object.keys(FUNCTIONS).length, bucket: 1, queue: 1 };

  test("dashboard: the seed's four rows with every CloudWatch line of the shared definition", () => {
    const [[, dashboard]] = resourcesOf('AWS::CloudWatch::Dashboard');
    // The body is a Fn::Join of JSON text and tokens (table names, the API id): tokens as strings, then parse.
    const joined = props(dashboard).DashboardBody as { 'Fn::Join': [string, Array<string | object>] };
    const text = joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
    const widgets = (JSON.parse(text) as { widgets: Array<{ type: string; properties: Record<string, any> }> }).widgets; // eslint-disable-line @typescript-eslint/no-explicit-any
    const drawn = new Set<string>();
    const searched: string[] = [];
    for (const w of widgets.filter((x) => x.type === 'metric')) {
      for (const line of w.properties.metrics as unknown[][]) {
        const options = line[line.length - 1] as { stat?: string; expression?: string };
        if (options.expression) searched.push(options.expression);
        else drawn.add(`${line[0]} ${line[1]} ${options.stat ?? 'Average'}`); // Average: CloudWatch's default, left out
      }
    }
    const rows = MONITORING.dashboard.rows;
    assert.deepEqual(rows.map((r) => r.title), ['API requests and errors', 'DynamoDB throttles', 'Function invocations and errors', 'Media GET/PUT requests']);
    const titles = widgets.filter((x) => x.type === 'text').map((x) => x.properties.markdown);
    assert.deepEqual(titles, rows.map((r) => `## ${r.title}`));
    for (const row of rows) {
      const metrics = cloudwatchMetrics(row);
      assert.ok(metrics.length >= 3, row.title);
      for (const m of metrics) {
        const found = m.perOperation
          ? searched.some((e) => e.includes(`{${m.namespace},`) && e.includes(`MetricName="${m.metricName}"`) && e.includes(`'${m.statistic}'`))
          : drawn.has(`${m.namespace} ${m.metricName} ${m.statistic}`);
        assert.ok(found, `${row.title}: ${m.namespace} ${m.metricName} ${m.statistic}`);
      }
    }
    assert.ok(text.includes(ENTIRE_BUCKET_METRICS), 'S3 request metrics filter');
  });

  test('alarms: metric, statistic, period, evaluation and threshold per spec of the shared definition, one per resource, to the topic', () => {
    const alarms = resourcesOf('AWS::CloudWatch::Alarm').map(([, a]) => props(a));
    const specs = MONITORING.alarms as readonly AlarmSpec[];
    assert.deepEqual(specs.map((a) => a.id).slice(0, 4), ['ApiLatency', 'DynamoDbThrottles', 'FunctionErrors', 'MediaErrors']);
    assert.equal(alarms.length, specs.reduce((n, a) => n + instances[a.per], 0));
    const [[topicId]] = resourcesOf('AWS::SNS::Topic');
    const missing = { notBreaching: 'notBreaching', breaching: 'breaching', ignore: 'ignore', missing: 'missing' };
    const stats = (a: Record<string, any>) => (a.Metrics as Array<Record<string, any>> | undefined)?.filter((m) => m.MetricStat).map((m) => m.MetricStat) ?? []; // eslint-disable-line @typescript-eslint/no-explicit-any
    const specMetrics = (spec: AlarmSpec): MetricSpec[] => {
      const v = spec.cloudwatch;
      return 'metric' in v ? [v.metric] : 'sum' in v ? v.sum : [...v.percent.part, v.percent.of];
    };
    for (const spec of specs) {
      const mine = alarms.filter((a) => String(a.AlarmDescription).startsWith(`${spec.description}: `));
      assert.equal(mine.length, instances[spec.per], spec.id);
      for (const a of mine) {
        assert.deepEqual(a.AlarmActions, [{ Ref: topicId }]);
        assert.deepEqual(a.OKActions, [{ Ref: topicId }]);
        assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
        assert.equal(a.Threshold, spec.threshold, spec.id);
        assert.equal(a.EvaluationPeriods, spec.evaluationPeriods, spec.id);
        assert.equal(a.DatapointsToAlarm, spec.datapointsToAlarm, spec.id);
        assert.equal(a.TreatMissingData, missing[spec.treatMissingData], spec.id);
        // One metric: a labelled MetricStat (or the alarm's own fields); several: a metric-math expression over them.
        const used = a.Metrics ? stats(a) : [{ Metric: { Namespace: a.Namespace, MetricName: a.MetricName }, Stat: a.Statistic, Period: a.Period }];
        const expected = specMetrics(spec);
        assert.deepEqual(
          [...new Set(used.map((s) => `${s.Metric.Namespace} ${s.Metric.MetricName} ${s.Stat} ${s.Period}`))].sort(),
          [...new Set(expected.map((m) => `${m.namespace} ${m.metricName} ${m.statistic} ${spec.periodSeconds}`))].sort(),
          spec.id,
        );
      }
    }

    const throttles = alarms.filter((a) => String(a.AlarmDescription).startsWith('DynamoDB requests throttled'));
    const users = throttles.find((a) => String(a.AlarmDescription).includes(names.users))!;
    assert.ok(stats(users).some((s) => s.Metric.Dimensions.some((d: { Name: string; Value: string }) => d.Name === 'GlobalSecondaryIndexName' && d.Value === 'nickname-index')));

    const errors = alarms.filter((a) => String(a.AlarmDescription).startsWith('Function errors'));
    for (const a of errors) {
      const expression = (a.Metrics as Array<{ Expression?: string; ReturnData?: boolean }>).find((m) => m.Expression)!;
      assert.match(expression.Expression!, /^IF\(FILL\(m2, 0\) > 0, 100 \* \(FILL\(m1, 0\)\) \/ FILL\(m2, 0\), 0\)$/);
      assert.notEqual(expression.ReturnData, false);
    }
    const fnNames = errors.map((a) => stats(a)[0].Metric.Dimensions[0].Value.Ref).sort();
    assert.deepEqual(fnNames, (Object.keys(FUNCTIONS) as FunctionKey[]).map(functionId).sort());

    const [media] = alarms.filter((a) => String(a.AlarmDescription).startsWith('Media requests'));
    assert.ok(stats(media).every((s) => s.Metric.Dimensions.some((d: { Name: string; Value: string }) => d.Name === 'FilterId' && d.Value === ENTIRE_BUCKET_METRICS)));
  });

  test('alarm topic: encrypted with a key CloudWatch may use, TLS only, e-mail from the AlarmEmail parameter', () => {
    const [[, topic]] = resourcesOf('AWS::SNS::Topic');
    const keyId = (props(topic).KmsMasterKeyId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const key = props(tpl.Resources[keyId]);
    assert.equal(key.EnableKeyRotation, true);
    assert.ok(key.KeyPolicy.Statement.some((s: { Principal?: { Service?: string } }) => s.Principal?.Service === 'cloudwatch.amazonaws.com'));
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    assert.equal(tpl.Parameters?.AlarmEmail?.Type, 'String');
    const [[, subscription]] = resourcesOf('AWS::SNS::Subscription');
    assert.equal(props(subscription).Protocol, 'email');
    assert.deepEqual(props(subscription).Endpoint, { Ref: 'AlarmEmail' });
    assert.ok(tpl.Conditions?.[String(subscription.Condition)], 'subscribed only when an address is given');
  });
});

describe('outputs and cdk-nag', () => {
  test('outputs for the app and the management commands, without exports', () => {
    assert.deepEqual(Object.keys(tpl.Outputs ?? {}).sort(), [...OUTPUT_IDS].sort());
    for (const output of Object.values(tpl.Outputs ?? {})) assert.equal(output.Export, undefined);
  });

  test('AwsSolutions: no unacknowledged finding, and every acknowledgement has a reason', () => {
    const reports = synth.validation.pluginReports.filter((r) => r.pluginName === 'AwsSolutions');
    assert.equal(reports.length, 1, 'the AwsSolutions pack ran');
    const [report] = reports;
    assert.deepEqual(report.violations.map((v) => `${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`), []);
    assert.equal(report.conclusion, 'success');
    // Acknowledged findings carry their reason into the report.
    const acknowledged = report.suppressedViolations ?? [];
    assert.ok(acknowledged.length > 0);
    for (const v of acknowledged) assert.ok((v.reason ?? '').trim().length >= 20, `${v.ruleName}: reason "${v.reason}"`);
    // Nor does CDK itself warn (construct annotations).
    const metadata = JSON.parse(readFileSync(join(synth.cdkOut, 'BiiliveStack.metadata.json'), 'utf8')) as Record<string, Array<{ type: string; data: unknown }>>;
    const annotations = Object.entries(metadata).flatMap(([path, entries]) =>
      entries.filter((e) => e.type === 'aws:cdk:warning' || e.type === 'aws:cdk:error').map((e) => `${path}: ${JSON.stringify(e.data)}`),
    );
    assert.deepEqual(annotations, []);
  });
});

describe('context and schedule', () => {
  test("defaults are the server config's defaults; config keys override and are validated by the same schema", () => {
    const ctx = resolveContext(() => undefined);
    assert.deepEqual(ctx.tables, names);
    assert.equal(ctx.bucket, 'biihlivemedia');
    assert.equal(ctx.region, defaults.region);
    assert.deepEqual(ctx.tokens, defaults.tokens);
    const custom = resolveContext((k) => ({ 'tables.users': 'MY-USERS', 'tokens.accessTokenMinutes': '30', corsOrigins: 'https://app.example.com' })[k]);
    assert.equal(custom.tables.users, 'MY-USERS');
    assert.equal(custom.tokens.accessTokenMinutes, 30);
    assert.deepEqual(custom.corsOrigins, ['https://app.example.com']);
    assert.throws(
      () => resolveContext((k) => ({ region: 'mars', 'media.bucket': 'Not_A_Bucket', alarmEmail: 'nobody' })[k]),
      (err: unknown) => err instanceof ContextError && /region/.test(err.message) && /media\.bucket/.test(err.message) && /alarmEmail/.test(err.message),
    );
  });

  test('cron patterns become EventBridge expressions, or are refused', () => {
    assert.equal(eventBridgeCron('0 0 * * *'), 'cron(0 0 * * ? *)');
    assert.equal(eventBridgeCron('0 30 2 * * *'), 'cron(30 2 * * ? *)');
    assert.equal(eventBridgeCron('*/15 * * * *'), 'cron(0/15 * * * ? *)');
    assert.equal(eventBridgeCron('0 3 * * 0'), 'cron(0 3 ? * 1 *)');
    assert.equal(eventBridgeCron('0 3 * * 1-5'), 'cron(0 3 ? * 2-6 *)');
    assert.equal(eventBridgeCron('0 3 * * 5-7'), 'cron(0 3 ? * 6-7,1 *)');
    assert.equal(eventBridgeCron('0 3 1 * *'), 'cron(0 3 1 * ? *)');
    assert.throws(() => eventBridgeCron('0 3 1 * 1'), ScheduleError);
    assert.throws(() => eventBridgeCron('30 0 0 * * *'), ScheduleError);
    assert.throws(() => eventBridgeCron('0 0 L * *'), ScheduleError);
  });
});

function dirSize(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    total += s.isDirectory() ? dirSize(path) : s.size;
  }
  return total;
}
