/**
 * Identity (seed: Cognito): the user pool the embedded server emulates, its app client, the
 * `admin` group, the post-confirmation trigger that creates the profile (the same domain code the
 * embedded pool runs), and the identity pool whose signed-in users may upload only under their
 * own media prefixes.
 *
 * Settings mirror the embedded pool: sign-in by username (case-insensitive), `email` and
 * `nickname` attributes, self sign-up with e-mail verification, the password policy of
 * src/domain/identity/password-policy.ts (all four character classes, minimum length from config
 * `auth.passwordMinLength`), token lifetimes from config `tokens.*`, refresh and token revocation.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Config } from '../../src/config/schema.ts';
import { MEDIA_KINDS, mediaKey, uploadKeyFor } from '../../src/domain/media/keys.ts';
import { ADMIN_GROUP } from '../../src/domain/points/points-service.ts';

/** The session tag the identity pool maps from the token's `sub` claim. */
export const SUB_TAG = 'sub';
const SUB = `\${aws:PrincipalTag/${SUB_TAG}}`;

/**
 * Object keys a signed-in user may write, as IAM patterns: the upload key of every media kind
 * (src/domain/media/keys.ts: photos into the quarantine, videos at their key) with the user id
 * taken from the session tag and any timestamp.
 */
export function ownUploadPatterns(): string[] {
  return MEDIA_KINDS.map((kind) => uploadKeyFor(kind, mediaKey(kind, SUB, 0)).replace(/_0\.(\w+)$/, '_*.$1'));
}

export interface IdentityProps {
  tokens: Config['tokens'];
  passwordMinLength: number;
  postConfirmation: lambda.IFunction;
  bucket: s3.IBucket;
}

export class Identity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly identityPool: cognito.CfnIdentityPool;
  readonly authenticatedRole: iam.Role;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: true,
      signInAliases: { username: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: {
        // Optional, as on the embedded pool; codes go to the e-mail address when there is one.
        email: { required: false, mutable: true },
        nickname: { required: false, mutable: true },
      },
      passwordPolicy: {
        minLength: props.passwordMinLength,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      lambdaTriggers: { postConfirmation: props.postConfirmation },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.client = this.userPool.addClient('AppClient', {
      // USER_PASSWORD_AUTH (the mobile app), SRP (Amplify's default); refresh is always on.
      authFlows: { userPassword: true, userSrp: true },
      generateSecret: false,
      disableOAuth: true,
      accessTokenValidity: Duration.minutes(props.tokens.accessTokenMinutes),
      idTokenValidity: Duration.minutes(props.tokens.idTokenMinutes),
      refreshTokenValidity: Duration.days(props.tokens.refreshTokenDays),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: ADMIN_GROUP,
      description: 'May award points (awardPoints)',
    });

    this.identityPool = new cognito.CfnIdentityPool(this, 'IdentityPool', {
      allowUnauthenticatedIdentities: false,
      cognitoIdentityProviders: [
        { clientId: this.client.userPoolClientId, providerName: this.userPool.userPoolProviderName, serverSideTokenCheck: true },
      ],
    });
    // The token's `sub` becomes the session tag the role's policy scopes every key with.
    new cognito.CfnIdentityPoolPrincipalTag(this, 'SubTag', {
      identityPoolId: this.identityPool.ref,
      identityProviderName: this.userPool.userPoolProviderName,
      principalTags: { [SUB_TAG]: 'sub' },
      useDefaults: false,
    });

    this.authenticatedRole = new iam.Role(this, 'AuthenticatedRole', {
      description: 'Signed-in BiiLive users (identity pool): uploads under their own media prefixes only',
      assumedBy: new iam.FederatedPrincipal(
        'cognito-identity.amazonaws.com',
        {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.ref },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ).withSessionTags(),
    });
    this.authenticatedRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OwnUploadsOnly',
        actions: ['s3:PutObject'],
        resources: ownUploadPatterns().map((p) => props.bucket.arnForObjects(p)),
        // A session without the tag (mapping removed) gets nothing rather than "${...}" literally.
        conditions: { StringLike: { [`aws:PrincipalTag/${SUB_TAG}`]: '?*' } },
      }),
    );

    new cognito.CfnIdentityPoolRoleAttachment(this, 'Roles', {
      identityPoolId: this.identityPool.ref,
      roles: { authenticated: this.authenticatedRole.roleArn },
    });
  }
}
